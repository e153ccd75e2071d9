import type { Message as StanMessage } from 'node-nats-streaming';

/**
 * A message handed to a listener. It has the whole API of node-nats-streaming's
 * `Message`, so code written against the course's `onMessage(data, msg: Message)`
 * compiles unchanged, and adds what JetStream can do beyond it.
 */
export interface EventMessage extends StanMessage {
  /**
   * How many times this message has been delivered, this delivery included.
   * JetStream counts on the server; NATS Streaming only says "redelivered",
   * so the STAN transport counts the deliveries this process has seen.
   */
  getDeliveryCount(): number;
  /**
   * Gives the message back for another try after `delayMs`. JetStream sends a
   * `nak` with that delay. NATS Streaming has no negative ack: the message comes
   * back once its ack wait has passed, whatever the delay.
   *
   * @param delayMs - how long the server should wait before redelivering
   */
  nak(delayMs?: number): void;
  /**
   * A header of the message, such as {@link CORRELATION_ID_HEADER}. Names are
   * matched ignoring case. NATS Streaming has no headers: its messages answer
   * undefined for every name.
   *
   * @param name - the header name
   * @returns its (first) value, or undefined when the message has no such header
   */
  getHeader(name: string): string | undefined;
}

/** What a listener asks a transport for. */
export interface SubscriptionSpec {
  /** The logical subject, a {@link Subjects} value. */
  subject: string;
  /** The queue group; instances in one group split the messages. */
  queueGroupName: string;
  /** Milliseconds before an unacknowledged message is redelivered. */
  ackWait: number;
  /** How many messages this subscriber handles at once. */
  maxInFlight: number;
  /**
   * After how many deliveries the listener dead-letters a message. JetStream
   * bounds the consumer's deliveries a little above it, so that the dead letter
   * itself can be retried; unbounded when absent.
   */
  maxDeliveries?: number;
}

/** A live subscription. */
export interface EventSubscription {
  /** Stops delivery; messages in flight finish. The durable position is kept. */
  close(): Promise<void>;
}

/** Receives each message of a subscription. It must never throw. */
export type MessageHandler = (msg: EventMessage) => Promise<void>;

/** Options of {@link EventBus.publish}. */
export interface PublishOptions {
  /**
   * An idempotency key. JetStream drops a second message with the same id within
   * the stream's duplicate window; NATS Streaming ignores it.
   */
  msgId?: string;
  /**
   * Headers sent with the message, such as {@link CORRELATION_ID_HEADER}.
   * JetStream sends them as NATS headers; a value may not contain CR or LF,
   * and names starting with `Nats-` are NATS's own (the dedupe id is set
   * through `msgId`), so JetStream refuses them. NATS Streaming has no headers
   * and drops them: what they carry does not reach its listeners.
   */
  headers?: Record<string, string>;
}

/** Marks objects that are event buses, as opposed to raw node-nats-streaming clients. */
export const EVENT_BUS = Symbol.for('@grider-ms-tickets/common.EventBus');

/**
 * One transport for listeners and publishers: NATS Streaming, NATS JetStream,
 * or the in-memory bus of the test kit.
 */
export interface EventBus {
  readonly [EVENT_BUS]: true;
  /** `stan`, `jetstream` or `memory`. */
  readonly kind: string;
  /**
   * Subscribes a handler as a durable member of `spec.queueGroupName`.
   *
   * @returns once the server has registered the subscription
   */
  subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<EventSubscription>;
  /**
   * Publishes one message.
   *
   * @returns once the server has acknowledged it
   */
  publish(subject: string, payload: string, options?: PublishOptions): Promise<void>;
  /** Whether the connection to the server is up right now. */
  isConnected(): boolean;
  /**
   * How long the connection has been down.
   *
   * @returns 0 while connected, otherwise the milliseconds since it went down
   */
  downForMs(): number;
  /**
   * Registers a callback for a connection that is lost for good: the client
   * gave up and will not come back by itself, so the process should exit and be
   * restarted. Called at most once, and at once (asynchronously) when the bus is
   * lost already. Not called for {@link EventBus.close}.
   *
   * @param callback - receives why the connection was lost
   */
  onLost(callback: (err: Error) => void): void;
  /** Stops every subscription, flushes what is pending and closes the connection. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Tells an {@link EventBus} from a raw node-nats-streaming client.
 *
 * @param value - anything
 * @returns true for objects made by this library's transports
 */
export function isEventBus(value: unknown): value is EventBus {
  return typeof value === 'object' && value !== null && (value as Partial<EventBus>)[EVENT_BUS] === true;
}
