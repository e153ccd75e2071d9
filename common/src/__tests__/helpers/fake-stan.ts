/**
 * A node-nats-streaming client with no server behind it, for the tests of the
 * NATS Streaming transport: no NATS Streaming server exists on this machine,
 * and the server reached end of life in 2023. It records what the transport
 * asks of the client; tests deliver messages by emitting them on a
 * subscription, or let it play back what was published (`playBack`).
 */
import { EventEmitter } from 'node:events';
import { crc32 } from 'node:zlib';
import type { Stan } from 'node-nats-streaming';

/** Records what the transport sets on node-nats-streaming's option builder. */
export class RecordingSubscriptionOptions {
  readonly set: Record<string, unknown> = {};
  setDeliverAllAvailable() {
    this.set.deliverAllAvailable = true;
    return this;
  }
  setManualAckMode(on: boolean) {
    this.set.manualAckMode = on;
    return this;
  }
  setAckWait(ms: number) {
    this.set.ackWait = ms;
    return this;
  }
  setMaxInFlight(n: number) {
    this.set.maxInFlight = n;
    return this;
  }
  setDurableName(name: string) {
    this.set.durableName = name;
    return this;
  }
  setStartWithLastReceived() {
    this.set.startWithLastReceived = true;
    return this;
  }
  setStartAtSequence(sequence: number) {
    this.set.startAtSequence = sequence;
    return this;
  }
}

export class FakeStanSubscription extends EventEmitter {
  closed = false;
  readonly close = jest.fn(() => {
    this.closed = true;
    setImmediate(() => this.emit('closed'));
  });
  readonly unsubscribe = jest.fn(() => {
    this.closed = true;
  });
  isClosed(): boolean {
    return this.closed;
  }
}

export interface SubscribeCall {
  subject: string;
  queueGroup?: string;
  options: RecordingSubscriptionOptions;
  subscription: FakeStanSubscription;
}

/** A node-nats-streaming client with no server behind it. */
export class FakeStan extends EventEmitter {
  readonly subscribeCalls: SubscribeCall[] = [];
  readonly published: { subject: string; data: string }[] = [];
  /** The error the server answers the next publishes with. */
  publishError?: Error;
  /** The error the server answers the next subscriptions with, instead of 'ready'. */
  subscribeError?: Error;
  readonly close = jest.fn(() => setImmediate(() => this.emit('close')));
  /**
   * When true, a new subscription gets what was published on its subject, as
   * a server would: all of it, the last message, or from a sequence on,
   * following its options.
   */
  playBack = false;

  subscriptionOptions(): RecordingSubscriptionOptions {
    return new RecordingSubscriptionOptions();
  }

  subscribe(
    subject: string,
    queueGroupOrOptions?: string | RecordingSubscriptionOptions,
    maybeOptions?: RecordingSubscriptionOptions,
  ): FakeStanSubscription {
    const [queueGroup, options] =
      typeof queueGroupOrOptions === 'string'
        ? [queueGroupOrOptions, maybeOptions ?? new RecordingSubscriptionOptions()]
        : [undefined, queueGroupOrOptions ?? new RecordingSubscriptionOptions()];
    const subscription = new FakeStanSubscription();
    this.subscribeCalls.push({ subject, queueGroup, options, subscription });
    const error = this.subscribeError;
    // The real client answers once the server has registered the subscription.
    setImmediate(() => {
      if (error) {
        subscription.emit('error', error);
        return;
      }
      subscription.emit('ready');
      if (this.playBack) this.playBackTo(subject, options, subscription);
    });
    return subscription;
  }

  /** What was published on a subject, as the messages a subscription would get, sequences from 1. */
  channel(subject: string): FakeStanMessage[] {
    return this.published
      .filter((p) => p.subject === subject)
      .map((p, i) => new FakeStanMessage(subject, i + 1, p.data));
  }

  private playBackTo(subject: string, options: RecordingSubscriptionOptions, subscription: FakeStanSubscription) {
    const all = this.channel(subject);
    const { startWithLastReceived, startAtSequence, deliverAllAvailable } = options.set;
    const from = startWithLastReceived
      ? all.slice(-1)
      : typeof startAtSequence === 'number'
        ? all.filter((m) => m.getSequence() >= startAtSequence)
        : deliverAllAvailable
          ? all
          : [];
    for (const msg of from) if (!subscription.closed) subscription.emit('message', msg);
  }

  publish(subject: string, data: string, callback: (err: Error | undefined, guid: string) => void): string {
    const guid = `guid-${this.published.length + 1}`;
    const error = this.publishError;
    if (!error) this.published.push({ subject, data });
    setImmediate(() => callback(error, guid));
    return guid;
  }

  /** The only subscription, which the tests deliver messages on. */
  get subscription(): FakeStanSubscription {
    expect(this.subscribeCalls).toHaveLength(1);
    return this.subscribeCalls[0].subscription;
  }

  asStan(): Stan {
    return this as unknown as Stan;
  }
}

/** A node-nats-streaming message as the server delivers it. */
export class FakeStanMessage {
  readonly ack = jest.fn();
  private readonly raw: Buffer;

  constructor(
    private readonly subject: string,
    private readonly sequence: number,
    payload: unknown,
    private readonly redelivered = false,
  ) {
    this.raw = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }
  getSubject() {
    return this.subject;
  }
  getSequence() {
    return this.sequence;
  }
  getRawData() {
    return this.raw;
  }
  getData() {
    return this.raw.toString('utf8');
  }
  getTimestampRaw() {
    return 1_700_000_000_000 * 1e6;
  }
  getTimestamp() {
    return new Date(1_700_000_000_000);
  }
  isRedelivered() {
    return this.redelivered;
  }
  getCrc32() {
    return crc32(this.raw);
  }
}
