import type { Logger } from 'pino';
import type { Event } from './base-event';
import { validateEvent } from './schemas';
import type { EventMessage, EventSubscription } from '../bus/event-bus';
import { toEventBus, type EventClient } from '../bus/to-event-bus';
import { defaultLogger } from '../logging/logger';

/** Options of a {@link Listener}. */
export interface ListenerOptions {
  /** Where the listener logs; a shared `common` logger if absent. */
  logger?: Logger;
}

/**
 * Receives one subject as a member of a durable queue group, with the course's
 * API: set `subject` and `queueGroupName`, write `onMessage`, call `listen()`.
 *
 * Beyond the course, every payload is checked against its subject's schema
 * before `onMessage` sees it. A payload that can never succeed (not JSON, a
 * missing field, a date that does not parse, too large) is logged with its
 * subject, sequence and reason and then acked, so it can't block the consumer.
 * An error thrown by `onMessage` is caught and logged; the message is not acked
 * and comes back (with a growing delay on JetStream), and the connection lives on.
 *
 * @typeParam T - the event type, such as `OrderCreatedEvent`
 */
export abstract class Listener<T extends Event> {
  /** The subject listened to. */
  abstract subject: T['subject'];
  /** The queue group, which is also the durable name. */
  abstract queueGroupName: string;
  /**
   * Handles one valid event. Ack `msg` when the work is done; throw (or don't
   * ack) to have it redelivered.
   *
   * @param data - the payload, already validated
   * @param msg - the message, to `ack()`
   */
  abstract onMessage(data: T['data'], msg: EventMessage): void | Promise<void>;

  /**
   * Milliseconds before an unacked message is redelivered.
   *
   * @defaultValue 5000
   */
  protected ackWait = 5 * 1000;
  /**
   * How many messages this instance handles at once. Above 1, messages may be
   * handled out of order.
   *
   * @defaultValue 1
   */
  protected maxInFlight = 1;
  /**
   * Larger payloads are rejected before they are parsed.
   *
   * @defaultValue 262144 (256 KiB)
   */
  protected maxPayloadBytes = 256 * 1024;
  /** What the listener was built with, a bus or a raw NATS Streaming client. */
  protected client: EventClient;
  protected readonly logger: Logger;
  private subscription?: Promise<EventSubscription>;

  /**
   * @param client - an event bus, or a connected node-nats-streaming client
   * @param options - the logger
   */
  constructor(client: EventClient, options: ListenerOptions = {}) {
    this.client = client;
    this.logger = options.logger ?? defaultLogger();
  }

  /**
   * Subscribes. Returns a promise for callers that want to know when the
   * subscription is live; course code that ignores it works as before.
   *
   * @returns once the server has registered the subscription
   */
  async listen(): Promise<void> {
    if (this.subscription) {
      await this.subscription;
      return;
    }
    // Kept as a promise so that two calls at once subscribe once.
    this.subscription = toEventBus(this.client).subscribe(
      {
        subject: this.subject,
        queueGroupName: this.queueGroupName,
        ackWait: this.ackWait,
        maxInFlight: this.maxInFlight,
      },
      (msg) => this.handleMessage(msg),
    );
    try {
      await this.subscription;
    } catch (err) {
      this.subscription = undefined;
      throw err;
    }
    this.logger.info({ subject: this.subject, queueGroup: this.queueGroupName }, 'listening');
  }

  /**
   * Stops receiving; messages in flight finish first. The durable position is
   * kept, so a later `listen()` resumes where this one stopped.
   */
  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await (await subscription?.catch(() => undefined))?.close();
  }

  /**
   * Decodes a message as JSON, as the course's `parseMessage` does.
   *
   * @param msg - a message
   * @returns the parsed payload, not validated
   * @throws SyntaxError when the payload is not JSON
   */
  parseMessage(msg: Pick<EventMessage, 'getData'>): unknown {
    const data = msg.getData();
    return JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
  }

  /**
   * The path of every delivered message: size check, JSON, schema, then
   * `onMessage`. Transports call it, and so does the test kit. It never throws.
   *
   * @param msg - the delivered message
   */
  async handleMessage(msg: EventMessage): Promise<void> {
    const size = msg.getRawData().length;
    if (size > this.maxPayloadBytes) {
      return this.reject(msg, `payload is ${size} bytes, over the limit of ${this.maxPayloadBytes}`);
    }
    let payload: unknown;
    try {
      payload = this.parseMessage(msg);
    } catch (err) {
      return this.reject(msg, `payload is not JSON: ${(err as Error).message}`);
    }
    const result = validateEvent(this.subject, payload);
    if (!result.ok) return this.reject(msg, result.reason);

    try {
      await this.onMessage(result.data, msg);
    } catch (err) {
      const deliveries = msg.getDeliveryCount();
      const delayMs = this.retryDelay(deliveries);
      this.logger.error(
        { err, subject: this.subject, sequence: msg.getSequence(), deliveries, retryInMs: delayMs },
        'handler failed; the message will be redelivered',
      );
      msg.nak(delayMs);
    }
  }

  /**
   * How long to wait before redelivering a message whose handler failed:
   * 500 ms, doubling with each delivery, at most 30 s. JetStream applies it;
   * NATS Streaming always waits `ackWait`.
   *
   * @param deliveries - deliveries so far, the failed one included
   * @returns milliseconds
   */
  protected retryDelay(deliveries: number): number {
    return Math.min(500 * 2 ** Math.max(0, deliveries - 1), 30_000);
  }

  /**
   * Called for a payload that can never succeed, after it was logged and before
   * it is acked. Override to count such messages.
   *
   * @param _reason - what is wrong with it
   * @param _msg - the message
   */
  protected onInvalidMessage(_reason: string, _msg: EventMessage): void {}

  private reject(msg: EventMessage, reason: string): void {
    this.logger.warn(
      { subject: this.subject, sequence: msg.getSequence(), deliveries: msg.getDeliveryCount(), reason },
      'invalid event acked and dropped',
    );
    this.onInvalidMessage(reason, msg);
    msg.ack();
  }
}
