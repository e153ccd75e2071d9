import type { Logger } from 'pino';
import type { Event } from './base-event';
import { CORRELATION_ID_HEADER, correlationIdOf } from './correlation';
import { Delivery, type DeliveryOutcome } from './delivery';
import { RecentFailures } from './recent-failures';
import { validateEvent } from './schemas';
import type { EventMessage, EventSubscription } from '../bus/event-bus';
import { toEventBus, type EventClient } from '../bus/to-event-bus';
import { DEFAULT_MAX_DELIVERIES } from '../config/event-bus-defaults';
import { DEAD_LETTER_SUBJECT, createDeadLetter, type DeadLetter } from '../dead-letter/dead-letter';
import { defaultLogger } from '../logging/logger';

export { DELIVERY_OUTCOMES, type DeliveryOutcome } from './delivery';

/** What {@link ListenerOptions.onOutcome} is told about one delivery. */
export interface DeliveryReport {
  outcome: DeliveryOutcome;
  /** The listener's subject, a {@link Subjects} value (without a JetStream subject prefix). */
  subject: string;
  /** The listener's queue group. */
  queueGroupName: string;
  /** The delivered message: its sequence, delivery count and headers (see {@link correlationIdOf}). */
  msg: EventMessage;
}

/** Options of a {@link Listener} or a {@link BatchListener}. */
export interface ListenerOptions {
  /** Where the listener logs; a shared `common` logger if absent. */
  logger?: Logger;
  /**
   * On which delivery a message whose handler still fails is given up on and
   * dead-lettered. Services pass `config.eventBus.maxDeliveries`
   * (`EVENT_MAX_DELIVERIES`).
   *
   * @defaultValue 10
   */
  maxDeliveries?: number;
  /**
   * The service name written into dead letters.
   *
   * @defaultValue the queue group name
   */
  service?: string;
  /**
   * Called exactly once for every delivered message, once it is settled, with
   * how that delivery ended. A service passes the same callback to all its
   * listeners to count events by subject and outcome in one metric:
   *
   * ```ts
   * const onOutcome = ({ subject, outcome }: DeliveryReport) => eventsTotal.inc({ subject, outcome });
   * ```
   *
   * It should be quick and must not throw; an error it throws is logged and
   * changes nothing about the message.
   *
   * @defaultValue none
   */
  onOutcome?: (report: DeliveryReport) => void;
}

/**
 * What {@link Listener} (one message at a time) and {@link BatchListener}
 * (many at once) share: the subscription, the checks every delivered message
 * goes through before a handler sees it, and what happens to a message whose
 * handling failed. Services extend one of the two, not this class.
 *
 * Every payload is checked against its subject's schema. A payload that can
 * never succeed (not JSON, a missing field, a date that does not parse, too
 * large) is logged with its subject, sequence and reason, published as a dead
 * letter and acked, so it can't block the consumer and an operator can replay
 * it after a fix.
 *
 * A message whose handling failed is not acked and comes back (with a growing
 * delay on JetStream). Redelivery is bounded: when handling fails on delivery
 * `maxDeliveries`, or the message comes back after it (its ack wait ran out),
 * the message is published on {@link DEAD_LETTER_SUBJECT} and acked. If that
 * publish fails, the message is nak'ed and the dead letter is tried again on
 * its next delivery.
 *
 * Log lines about a message carry its correlation id ({@link CORRELATION_ID_HEADER})
 * when it has one, and its dead letter is published with the same header.
 *
 * @typeParam T - the event type, such as `OrderCreatedEvent`
 */
export abstract class ListenerBase<T extends Event> {
  /** The subject listened to. */
  abstract subject: T['subject'];
  /** The queue group, which is also the durable name. */
  abstract queueGroupName: string;

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
   * @defaultValue 1 for a {@link Listener}
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
  // Not named maxDeliveries: subclasses written before it existed may have a member of that name.
  private readonly deliveryLimit: number;
  private readonly serviceName?: string;
  private readonly onOutcome?: (report: DeliveryReport) => void;
  private readonly recentFailures = new RecentFailures();

  /**
   * @param client - an event bus, or a connected node-nats-streaming client
   * @param options - the logger, the delivery limit and the service name
   * @throws RangeError when `maxDeliveries` is not a whole number of at least 1
   */
  constructor(client: EventClient, options: ListenerOptions = {}) {
    this.client = client;
    this.logger = options.logger ?? defaultLogger();
    this.deliveryLimit = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
    if (!Number.isInteger(this.deliveryLimit) || this.deliveryLimit < 1) {
      throw new RangeError(`maxDeliveries must be a whole number of at least 1, not ${options.maxDeliveries}`);
    }
    this.serviceName = options.service;
    this.onOutcome = options.onOutcome;
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
        maxDeliveries: this.deliveryLimit,
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
   * The path of every delivered message: the delivery limit, size check, JSON,
   * schema, then the handler. Transports call it, and so does the test kit. It
   * never throws. Once the message is settled, its outcome goes to
   * {@link ListenerOptions.onOutcome}.
   *
   * The handler is given a view of the message that notes whether it was
   * acked or nak'ed (it reads and settles the delivered message), which is how
   * the outcome of a handler that settles the message itself is known.
   *
   * @param msg - the delivered message
   * @returns once the message is handled: acked, given back, or dead-lettered
   */
  async handleMessage(msg: EventMessage): Promise<void> {
    const delivery = new Delivery(msg);
    try {
      await this.route(delivery.view);
    } finally {
      this.reportOutcome(delivery, msg);
    }
  }

  private async route(msg: EventMessage): Promise<void> {
    const deliveries = msg.getDeliveryCount();
    if (deliveries > this.deliveryLimit) {
      // The last allowed delivery failed without a dead letter (its publish
      // failed, or the handler let the ack wait run out): don't run the handler
      // again, try the dead letter again.
      const reason =
        this.recentFailures.recall(msg.getSequence()) ??
        `delivered ${deliveries} times, more than the ${this.deliveryLimit} allowed`;
      return this.deadLetter(msg, reason);
    }
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
    return this.handleValidMessage(result.data, msg);
  }

  private reportOutcome(delivery: Delivery, msg: EventMessage): void {
    if (!this.onOutcome) return;
    const outcome = delivery.outcome();
    try {
      this.onOutcome({ outcome, subject: this.subject, queueGroupName: this.queueGroupName, msg });
    } catch (err) {
      this.logger.error({ err, ...this.logFieldsOf(msg), outcome }, 'onOutcome failed');
    }
  }

  /**
   * Hands a valid message to the handler and settles it (ack, give back or
   * dead-letter). Implemented by {@link Listener} and {@link BatchListener}.
   * Must never throw.
   *
   * @param data - the validated payload
   * @param msg - its message
   */
  protected abstract handleValidMessage(data: T['data'], msg: EventMessage): Promise<void>;

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
   * it is dead-lettered and acked. Override to count such messages.
   *
   * @param _reason - what is wrong with it
   * @param _msg - the message
   */
  protected onInvalidMessage(_reason: string, _msg: EventMessage): void {}

  /**
   * Called once a message was published as a dead letter and acked, whether
   * its payload was invalid or its handler kept failing. Override to count
   * dead letters in a metric.
   *
   * @param _letter - what was published on {@link DEAD_LETTER_SUBJECT}
   */
  protected onDeadLetter(_letter: DeadLetter): void {}

  /**
   * Whether this is the message's last allowed delivery: if handling fails
   * now, it is dead-lettered rather than given back.
   *
   * @param msg - the delivered message
   */
  protected isLastDelivery(msg: EventMessage): boolean {
    return msg.getDeliveryCount() >= this.deliveryLimit;
  }

  /**
   * What happens to a message whose handling failed: on its last allowed
   * delivery it is dead-lettered; before, it is nak'ed with
   * {@link ListenerBase.retryDelay} and comes back. Never throws.
   *
   * @param msg - the message
   * @param reason - why, for the log and the dead letter
   * @param err - the error, logged
   * @param log - false when the caller has logged the failure already
   */
  protected async giveBack(msg: EventMessage, reason: string, err: unknown, log = true): Promise<void> {
    if (this.isLastDelivery(msg)) return this.deadLetter(msg, reason, err);
    const deliveries = msg.getDeliveryCount();
    const delayMs = this.retryDelay(deliveries);
    this.recentFailures.remember(msg.getSequence(), reason);
    Delivery.of(msg)?.settle('retried');
    if (log) {
      this.logger.error(
        { err, ...this.logFieldsOf(msg), retryInMs: delayMs },
        'handler failed; the message will be redelivered',
      );
    }
    msg.nak(delayMs);
  }

  /**
   * Publishes the dead letter of a message, then acks it. If the publish fails,
   * naks it instead, so that the dead letter is tried again on its next
   * delivery. Never throws.
   *
   * @param msg - the message given up on
   * @param reason - why
   * @param err - the error behind it, logged
   */
  protected async deadLetter(msg: EventMessage, reason: string, err?: unknown): Promise<void> {
    const sequence = msg.getSequence();
    const deliveries = msg.getDeliveryCount();
    const letter = createDeadLetter(
      {
        subject: this.subject,
        queueGroup: this.queueGroupName,
        service: this.serviceName ?? this.queueGroupName,
        sequence,
        deliveries,
        reason,
        failedAt: new Date().toISOString(),
      },
      msg.getRawData(),
    );
    const fields = { ...this.logFieldsOf(msg), reason };
    const correlationId = fields.correlationId;
    try {
      await toEventBus(this.client).publish(DEAD_LETTER_SUBJECT, JSON.stringify(letter), {
        // The id makes a dead letter published twice (its ack was lost) one letter on JetStream.
        msgId: `${DEAD_LETTER_SUBJECT}:${this.queueGroupName}:${this.subject}:${sequence}`,
        ...(correlationId ? { headers: { [CORRELATION_ID_HEADER]: correlationId } } : {}),
      });
    } catch (publishErr) {
      const delayMs = this.retryDelay(deliveries);
      this.recentFailures.remember(sequence, reason);
      this.logger.error(
        { err: publishErr, ...fields, retryInMs: delayMs },
        'publishing the dead letter failed; the message will be redelivered',
      );
      Delivery.of(msg)?.settle('retried');
      msg.nak(delayMs);
      return;
    }
    this.recentFailures.forget(sequence);
    const delivery = Delivery.of(msg);
    delivery?.settle(delivery.invalid ? 'invalid' : 'dead_lettered');
    this.logger.error({ err, ...fields, queueGroup: this.queueGroupName }, 'event dead-lettered');
    msg.ack();
    try {
      this.onDeadLetter(letter);
    } catch (hookErr) {
      this.logger.error({ err: hookErr, ...fields }, 'onDeadLetter failed');
    }
  }

  /**
   * What a log line about a message names: its subject, sequence, deliveries,
   * and its correlation id when it has one.
   */
  protected logFieldsOf(msg: EventMessage): {
    subject: string;
    sequence: number;
    deliveries: number;
    correlationId?: string;
  } {
    // A hand-made message in a course-style test may lack getHeader.
    const correlationId = typeof msg.getHeader === 'function' ? correlationIdOf(msg) : undefined;
    return {
      subject: this.subject,
      sequence: msg.getSequence(),
      deliveries: msg.getDeliveryCount(),
      ...(correlationId ? { correlationId } : {}),
    };
  }

  private async reject(msg: EventMessage, reason: string): Promise<void> {
    this.logger.warn({ ...this.logFieldsOf(msg), reason }, 'invalid event; dead-lettering it');
    const delivery = Delivery.of(msg);
    if (delivery) delivery.invalid = true;
    this.onInvalidMessage(reason, msg);
    await this.deadLetter(msg, reason);
  }
}

/**
 * The text of a thrown value, for a log line or a dead letter's reason.
 *
 * @param err - anything thrown
 * @returns its message
 */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
