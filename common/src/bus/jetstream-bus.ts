import { crc32 } from 'node:zlib';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  StorageType,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  EVENT_BUS,
  type EventBus,
  type EventMessage,
  type EventSubscription,
  type MessageHandler,
  type PublishOptions,
  type SubscriptionSpec,
} from './event-bus';
import { ALL_SUBJECTS } from '../events/subjects';
import { defaultLogger } from '../logging/logger';

/** Options of {@link JetStreamBus.connect}. */
export interface JetStreamConnectOptions {
  /** One NATS URL or several, for example `nats://nats-srv:4222`. */
  url: string | string[];
  /**
   * The stream that holds every subject. Created at connect if missing.
   *
   * @defaultValue `ticketing`
   */
  stream?: string;
  /**
   * Put in front of every subject on the wire, so that several systems (or
   * tests) can share one server without their streams overlapping. The stream
   * and the durable names still use the plain subjects.
   *
   * @defaultValue none
   */
  subjectPrefix?: string;
  /** The connection name the server shows, such as the pod name. */
  name?: string;
  logger?: Logger;
}

/** The durable consumer name of a listener: `<queueGroupName>:<subject>`. */
export function durableName(queueGroupName: string, subject: string): string {
  return `${queueGroupName}:${subject}`;
}

/**
 * The NATS JetStream transport. One file-backed stream holds every subject;
 * each listener is a durable pull consumer named `<queueGroupName>:<subject>`
 * with explicit acks and deliver-all. Instances of one service bind to the same
 * durable and split its messages, like a NATS Streaming queue group.
 */
export class JetStreamBus implements EventBus {
  readonly [EVENT_BUS] = true as const;
  readonly kind = 'jetstream';
  readonly stream: string;
  private readonly prefix: string;
  private readonly js: JetStreamClient;
  private connected = true;
  private closing?: Promise<void>;
  private readonly subscriptions = new Set<EventSubscription>();

  private constructor(
    readonly connection: NatsConnection,
    private readonly jsm: JetStreamManager,
    options: JetStreamConnectOptions,
    private readonly logger: Logger,
  ) {
    this.stream = options.stream ?? 'ticketing';
    this.prefix = options.subjectPrefix ?? '';
    this.js = jetstream(connection);
    void this.watchStatus();
  }

  /**
   * Connects, then creates the stream if it is missing or adds the subjects it lacks.
   * The client reconnects for ever: a service outlives a NATS restart.
   *
   * @returns once connected and the stream is ready
   * @throws if the server can't be reached or has no JetStream
   */
  static async connect(options: JetStreamConnectOptions): Promise<JetStreamBus> {
    const logger = options.logger ?? defaultLogger();
    const connection = await connect({
      servers: options.url,
      name: options.name,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
    });
    try {
      const jsm = await jetstreamManager(connection);
      const bus = new JetStreamBus(connection, jsm, options, logger);
      await bus.ensureStream();
      return bus;
    } catch (err) {
      await connection.close();
      throw err;
    }
  }

  /** The subject on the wire of a logical subject. */
  wireSubject(subject: string): string {
    return this.prefix + subject;
  }

  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<EventSubscription> {
    const durable = durableName(spec.queueGroupName, spec.subject);
    await this.ensureConsumer(durable, spec);
    const consumer = await this.js.consumers.get(this.stream, durable);
    const messages = await consumer.consume({
      // Pull little beyond what is handled at once: a message waiting in the
      // client buffer uses up its ack wait all the same.
      max_messages: Math.max(spec.maxInFlight * 2, 10),
    });
    const loop = this.pump(messages, spec, handler);
    const handle: EventSubscription = {
      close: async () => {
        if (!this.subscriptions.delete(handle)) return;
        messages.stop();
        await loop;
      },
    };
    this.subscriptions.add(handle);
    return handle;
  }

  async publish(subject: string, payload: string, options: PublishOptions = {}): Promise<void> {
    await this.js.publish(this.wireSubject(subject), payload, options.msgId ? { msgID: options.msgId } : undefined);
  }

  isConnected(): boolean {
    return this.connected && !this.connection.isClosed();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
      if (!this.connection.isClosed()) {
        // drain() lets pending publishes and acks reach the server before closing.
        await this.connection.drain().catch((err: unknown) => {
          this.logger.warn({ err }, 'NATS drain failed; closing');
          return this.connection.close();
        });
      }
    })();
    return this.closing;
  }

  /** Hands messages to the handler, at most `spec.maxInFlight` at a time. */
  private async pump(messages: ConsumerMessages, spec: SubscriptionSpec, handler: MessageHandler): Promise<void> {
    const inFlight = new Set<Promise<void>>();
    try {
      for await (const m of messages) {
        const work: Promise<void> = handler(new JetStreamEventMessage(m, spec.subject))
          .catch((err: unknown) => this.logger.error({ err, subject: spec.subject }, 'message handler failed'))
          .finally(() => inFlight.delete(work));
        inFlight.add(work);
        if (inFlight.size >= spec.maxInFlight) await Promise.race(inFlight);
      }
    } catch (err) {
      this.logger.error({ err, subject: spec.subject }, 'JetStream consumer stopped');
    } finally {
      await Promise.allSettled(inFlight);
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') {
        this.connected = false;
        this.logger.warn({ server: status.server }, 'NATS disconnected');
      } else if (status.type === 'reconnect') {
        this.connected = true;
        this.logger.info({ server: status.server }, 'NATS reconnected');
      }
    }
  }

  private async ensureStream(): Promise<void> {
    const subjects = ALL_SUBJECTS.map((s) => this.wireSubject(s));
    try {
      const info = await this.jsm.streams.info(this.stream);
      const missing = subjects.filter((s) => !info.config.subjects.includes(s));
      if (missing.length > 0) {
        await this.jsm.streams.update(this.stream, { ...info.config, subjects: [...info.config.subjects, ...missing] });
        this.logger.info({ stream: this.stream, added: missing }, 'added subjects to the stream');
      }
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.StreamNotFound)) throw err;
      await this.jsm.streams.add({ name: this.stream, subjects, storage: StorageType.File });
      this.logger.info({ stream: this.stream, subjects }, 'created the stream');
    }
  }

  private async ensureConsumer(durable: string, spec: SubscriptionSpec): Promise<void> {
    const ackWait = nanos(spec.ackWait);
    try {
      const info = await this.jsm.consumers.info(this.stream, durable);
      if (info.config.ack_wait !== ackWait) {
        await this.jsm.consumers.update(this.stream, durable, { ack_wait: ackWait });
      }
    } catch (err) {
      if (!isApiError(err, JetStreamApiCodes.ConsumerNotFound)) throw err;
      // Two instances starting together may both get here; adding the same
      // config twice is accepted by the server.
      await this.jsm.consumers.add(this.stream, {
        durable_name: durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        filter_subject: this.wireSubject(spec.subject),
        ack_wait: ackWait,
      });
    }
  }
}

function isApiError(err: unknown, code: number): boolean {
  return err instanceof JetStreamApiError && err.code === code;
}

/** A JetStream message behind the course's `Message` API. */
class JetStreamEventMessage implements EventMessage {
  constructor(
    private readonly m: JsMsg,
    private readonly subject: string,
  ) {}

  ack(): void {
    this.m.ack();
  }

  nak(delayMs?: number): void {
    this.m.nak(delayMs);
  }

  getDeliveryCount(): number {
    return this.m.info.deliveryCount;
  }

  /** The logical subject, without the bus's subject prefix. */
  getSubject(): string {
    return this.subject;
  }

  /** The stream sequence. */
  getSequence(): number {
    return this.m.seq;
  }

  getRawData(): Buffer {
    return Buffer.from(this.m.data.buffer, this.m.data.byteOffset, this.m.data.byteLength);
  }

  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- node-nats-streaming's own signature
  getData(): String | Buffer {
    return this.m.string();
  }

  /** Nanoseconds since the epoch, as NATS Streaming gives them. */
  getTimestampRaw(): number {
    return Number(this.m.info.timestampNanos);
  }

  getTimestamp(): Date {
    return this.m.time;
  }

  isRedelivered(): boolean {
    return this.m.redelivered;
  }

  getCrc32(): number {
    return crc32(this.m.data);
  }
}
