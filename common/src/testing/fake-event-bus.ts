import {
  EVENT_BUS,
  type EventBus,
  type EventSubscription,
  type MessageHandler,
  type PublishOptions,
  type SubscriptionSpec,
} from '../bus/event-bus';
import { ConnectionState } from '../bus/connection-state';
import { DEAD_LETTER_SUBJECT, type DeadLetter } from '../dead-letter/dead-letter';
import type { Event } from '../events/base-event';
import type { ListenerBase } from '../events/listener-base';
import { FakeMessage, type FakeMessageOptions } from './fake-message';

/** One event a {@link FakeEventBus} was asked to publish. */
export interface PublishedEvent {
  subject: string;
  data: unknown;
  msgId?: string;
  /** The headers it was published with, such as the correlation id; absent when there were none. */
  headers?: Record<string, string>;
}

/** What {@link FakeEventBus.deliver} delivers to: a {@link Listener} or a {@link BatchListener}. */
export type DeliveryTarget<E extends Event> = Pick<ListenerBase<E>, 'subject' | 'handleMessage'>;

interface FakeSubscription {
  spec: SubscriptionSpec;
  handler: MessageHandler;
}

/**
 * An in-memory event bus for unit tests: it records what is published (with
 * its headers), and delivers messages to listeners with spies on `ack` and
 * `nak`. Pass it wherever a service passes its NATS client.
 *
 * @example
 * const bus = new FakeEventBus();
 * const msg = await bus.deliver(new OrderCreatedListener(bus), data);
 * expect(msg.ack).toHaveBeenCalled();
 * expect(bus.publishedOn(Subjects.OrderCancelled)).toEqual([...]);
 */
export class FakeEventBus implements EventBus {
  readonly [EVENT_BUS] = true as const;
  readonly kind = 'memory';
  /** Every event published, in order. */
  readonly published: PublishedEvent[] = [];
  private readonly subscriptions: FakeSubscription[] = [];
  private readonly failures: Error[] = [];
  private readonly state = new ConnectionState();
  private closed = false;
  private sequence = 0;

  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<EventSubscription> {
    const subscription = { spec, handler };
    this.subscriptions.push(subscription);
    return {
      close: async () => {
        const index = this.subscriptions.indexOf(subscription);
        if (index >= 0) this.subscriptions.splice(index, 1);
      },
    };
  }

  async publish(subject: string, payload: string, options: PublishOptions = {}): Promise<void> {
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (!this.isConnected()) throw new Error('FakeEventBus is disconnected');
    this.published.push({
      subject,
      data: JSON.parse(payload) as unknown,
      msgId: options.msgId,
      ...(options.headers ? { headers: { ...options.headers } } : {}),
    });
  }

  isConnected(): boolean {
    return this.state.up && !this.closed;
  }

  downForMs(): number {
    return this.state.downForMs();
  }

  onLost(callback: (err: Error) => void): void {
    this.state.onLost(callback);
  }

  async close(): Promise<void> {
    this.subscriptions.length = 0;
    this.closed = true;
  }

  /**
   * The payloads published on one subject.
   *
   * @param subject - a subject
   * @returns the payloads, in order
   */
  publishedOn<E extends Event = Event>(subject: E['subject']): E['data'][] {
    return this.published.filter((e) => e.subject === subject).map((e) => e.data as E['data']);
  }

  /**
   * Makes the next publishes fail, as a NATS outage would.
   *
   * @param count - how many publishes fail
   * @param error - what they reject with
   */
  failNextPublishes(count = 1, error = new Error('NATS publish failed (FakeEventBus)')): void {
    for (let i = 0; i < count; i++) this.failures.push(error);
  }

  /** The dead letters listeners published, in order. */
  get deadLetters(): DeadLetter[] {
    return this.published.filter((e) => e.subject === DEAD_LETTER_SUBJECT).map((e) => e.data as DeadLetter);
  }

  /**
   * Simulates a connection that goes down or comes back: `isConnected()`,
   * `downForMs()` and `publish` follow it.
   */
  setConnected(connected: boolean): void {
    if (connected) this.state.markUp();
    else this.state.markDown();
  }

  /**
   * Simulates a connection lost for good: the bus stays down and the
   * {@link FakeEventBus.onLost} callbacks are called.
   *
   * @param err - why it was lost
   */
  loseConnection(err = new Error('connection lost (FakeEventBus)')): void {
    this.state.markLost(err);
  }

  /**
   * Delivers one message straight to a listener, through its whole path
   * (size check, JSON, schema, `onMessage`; or a batch of one, for a
   * {@link BatchListener}), and waits until it is handled.
   *
   * @param listener - the listener under test
   * @param payload - the event data, or a raw string or Buffer for malformed input
   * @param options - sequence, delivery count and headers
   * @returns the message, to check `ack` and `nak`
   */
  async deliver<E extends Event>(
    listener: DeliveryTarget<E>,
    payload: unknown,
    options: FakeMessageOptions = {},
  ): Promise<FakeMessage> {
    const msg = new FakeMessage(listener.subject, payload, { sequence: ++this.sequence, ...options });
    await listener.handleMessage(msg);
    return msg;
  }

  /**
   * Delivers many messages to a listener at once, as a transport with that
   * many free slots would, and waits until every one is handled: what a
   * {@link BatchListener} gathers into batches. Each message gets the next
   * sequence unless its options say otherwise.
   *
   * @param listener - the listener under test
   * @param payloads - the event data of each message, or raw strings or Buffers
   * @param options - the same for every message, or each message's by its index
   * @returns the messages, in order, to check `ack` and `nak`
   */
  async deliverAll<E extends Event>(
    listener: DeliveryTarget<E>,
    payloads: unknown[],
    options: FakeMessageOptions | ((index: number) => FakeMessageOptions) = {},
  ): Promise<FakeMessage[]> {
    const messages = payloads.map(
      (payload, i) =>
        new FakeMessage(listener.subject, payload, {
          sequence: ++this.sequence,
          ...(typeof options === 'function' ? options(i) : options),
        }),
    );
    await Promise.all(messages.map((msg) => listener.handleMessage(msg)));
    return messages;
  }

  /**
   * Delivers one message to every queue group subscribed to `subject` (one
   * member of each group, as NATS does), as if someone had published it.
   *
   * @param subject - the subject
   * @param payload - the event data, or a raw string or Buffer
   * @param options - the message's headers
   * @returns the delivered messages, one per queue group
   */
  async emit(
    subject: string,
    payload: unknown,
    options: Pick<FakeMessageOptions, 'headers'> = {},
  ): Promise<FakeMessage[]> {
    const sequence = ++this.sequence;
    const groups = new Map<string, FakeSubscription>();
    for (const s of this.subscriptions) {
      if (s.spec.subject === subject && !groups.has(s.spec.queueGroupName)) groups.set(s.spec.queueGroupName, s);
    }
    const messages: FakeMessage[] = [];
    for (const s of groups.values()) {
      const msg = new FakeMessage(subject, payload, { sequence, headers: options.headers });
      await s.handler(msg);
      messages.push(msg);
    }
    return messages;
  }

  /** The subscriptions made so far, to check subjects, groups and ack waits. */
  get subscriptionSpecs(): SubscriptionSpec[] {
    return this.subscriptions.map((s) => s.spec);
  }
}
