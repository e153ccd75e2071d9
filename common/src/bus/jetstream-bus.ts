import { connect, headers, nanos, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  AckPolicy,
  DeliverPolicy,
  JetStreamApiCodes,
  jetstream,
  jetstreamManager,
  type Consumer,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
} from '@nats-io/jetstream';
import type { Logger } from 'pino';
import {
  EVENT_BUS,
  type EventBus,
  type EventSubscription,
  type MessageHandler,
  type PublishOptions,
  type SubscriptionSpec,
} from './event-bus';
import { ConnectionState } from './connection-state';
import { jetStreamAuthOptions } from './nats-auth';
import {
  DEFAULT_PUBLISH_RETRY,
  publishRetryDelay,
  transientPublishFailure,
  type PublishRetryPolicy,
} from './publish-retry';
import { ensureStream, isApiError, requireStream } from './jetstream-stream';
import { JetStreamEventMessage } from './jetstream-message';
import type { NatsAuth } from '../config/event-bus-config';
import {
  DEFAULT_STREAM_MAX_AGE_MS,
  DEFAULT_STREAM_MAX_BYTES,
  DEFAULT_STREAM_REPLICAS,
} from '../config/event-bus-defaults';
import { DEAD_LETTER_SUBJECT } from '../dead-letter/dead-letter';
import { ALL_SUBJECTS } from '../events/subjects';
import { defaultLogger } from '../logging/logger';

/** Options of {@link JetStreamBus.connect}. */
export interface JetStreamConnectOptions {
  /**
   * One NATS URL, or the servers of a cluster: the client connects to one of
   * them and, when it is lost, reconnects to any other.
   */
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
  /**
   * A user and password, or a credentials file. With a user, the client's
   * reply subjects are `_INBOX.<user>.…`.
   *
   * @defaultValue none: connect without credentials
   */
  auth?: NatsAuth;
  /**
   * The `max_age` of a stream the bus creates, in milliseconds. An existing
   * stream keeps its own unless it has none.
   *
   * @defaultValue 7 days
   */
  maxAgeMs?: number;
  /**
   * The `max_bytes` of a stream the bus creates; beyond it the oldest messages
   * are dropped. An existing stream keeps its own unless it has none.
   *
   * @defaultValue 1 GiB
   */
  maxBytes?: number;
  /**
   * The `num_replicas` of a stream the bus creates: on a JetStream cluster,
   * how many servers keep a copy (3 survives the loss of one). An existing
   * stream with fewer is raised to it; one with more keeps its own, with a
   * warning (lowering drops copies, an operator's decision).
   *
   * @defaultValue 1
   */
  replicas?: number;
  /**
   * How a publish that fails for a passing reason (no stream leader for a
   * moment, a timeout) is retried.
   *
   * @defaultValue {@link DEFAULT_PUBLISH_RETRY}
   */
  publishRetry?: PublishRetryPolicy;
  /**
   * Whether to create the stream, or add what it lacks. Tools that only read
   * pass false: the stream must exist, and is left as it is.
   *
   * @defaultValue true
   */
  setUpStream?: boolean;
  logger?: Logger;
}

/**
 * Deliveries a consumer allows beyond the listener's `maxDeliveries`. The
 * listener dead-letters a message on its last allowed delivery; if publishing
 * the dead letter fails, the message is nak'ed, and these deliveries retry the
 * dead letter (without calling the handler again). Past them the server stops
 * delivering the message, and the bus logs the server's advisory, so that
 * even then the message leaves a trace.
 */
export const DEAD_LETTER_RETRY_DELIVERIES = 5;

/**
 * The consumer's `max_ack_pending` beyond the handler concurrency. Messages
 * that were nak'ed and wait out their delay count as pending acks; the server
 * stops delivering when the limit is reached. With this room, even many
 * failing messages can't hold up the others: the pull size bounds what is
 * handled at once, not this.
 */
export const ACK_PENDING_ROOM = 1_000;

/**
 * How long one pull waits for messages. A pull asks only for as many messages
 * as there are free handlers, so nothing waits in a client buffer while its
 * ack wait runs.
 */
const PULL_EXPIRES_MS = 10_000;

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
  private readonly state = new ConnectionState();
  private readonly publishRetry: PublishRetryPolicy;
  private retriedPublishes = 0;
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
    this.publishRetry = options.publishRetry ?? DEFAULT_PUBLISH_RETRY;
    this.js = jetstream(connection);
    void this.watchStatus();
    void this.watchClosed();
  }

  /**
   * Connects, then creates the stream if it is missing or adds the subjects it lacks.
   * The client reconnects for ever: a service outlives a NATS restart, and
   * the liveness probe ({@link busLiveness}) decides when an outage has lasted
   * too long. Should the client still give up (an authorization error, say),
   * {@link JetStreamBus.onLost} reports it.
   *
   * @returns once connected and the stream is ready
   * @throws StreamSubjectsOverlapError when another stream captures the subjects
   * @throws if the server can't be reached or has no JetStream
   */
  static async connect(options: JetStreamConnectOptions): Promise<JetStreamBus> {
    const logger = options.logger ?? defaultLogger();
    const connection = await connect({
      servers: options.url,
      name: options.name,
      ...jetStreamAuthOptions(options.auth),
      maxReconnectAttempts: -1,
      reconnectTimeWait: 1_000,
      // Without it the client builds two Error objects per request (a publish
      // awaits its ack as a request) only to enrich a possible timeout's stack:
      // 15-19 % of the expiration service's CPU while it fires (bench/BENCHMARKS.md).
      // The errors still say what failed; they lose the caller's frames.
      noAsyncTraces: true,
    });
    let bus: JetStreamBus | undefined;
    try {
      bus = new JetStreamBus(connection, await jetstreamManager(connection), options, logger);
      const stream = { name: bus.stream, jsm: bus.jsm, logger };
      if (options.setUpStream === false) await requireStream(stream);
      else {
        const wire = bus;
        await ensureStream(stream, {
          subjects: [...ALL_SUBJECTS, DEAD_LETTER_SUBJECT].map((s) => wire.wireSubject(s)),
          maxAgeMs: options.maxAgeMs ?? DEFAULT_STREAM_MAX_AGE_MS,
          maxBytes: options.maxBytes ?? DEFAULT_STREAM_MAX_BYTES,
          replicas: options.replicas ?? DEFAULT_STREAM_REPLICAS,
        });
      }
      return bus;
    } catch (err) {
      // Through the bus once it exists, so that this close is not taken for a lost connection.
      await (bus ? bus.close() : connection.close());
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
    const advisories = this.watchMaxDeliveries(durable, spec);
    const pull: PullState = { stopped: false };
    const loop = this.pump(consumer, spec, handler, pull);
    const handle: EventSubscription = {
      close: async () => {
        if (!this.subscriptions.delete(handle)) return;
        pull.stopped = true;
        pull.batch?.stop();
        pull.wake?.();
        advisories.unsubscribe();
        await loop;
      },
    };
    this.subscriptions.add(handle);
    return handle;
  }

  /**
   * Publishes one message and waits for the stream's ack. `options.msgId`
   * becomes the `Nats-Msg-Id` dedupe id; `options.headers` are sent as NATS
   * headers.
   *
   * A failure that passes is retried with the same message id, as the bus's
   * `publishRetry` policy says: one where the server answered that no stream
   * took the message (no responders, JetStream's 503), and a timeout, but
   * the latter only for a message with a `msgId`, because a timed-out message
   * may have been stored and only its id lets the stream drop a second copy.
   * Each retry is logged at warn level and counted ({@link JetStreamBus.publishRetries}).
   *
   * @throws RangeError for a header named `Nats-…`, which NATS reserves for itself
   * @throws the last attempt's error when the retries are spent, or at once for any other failure
   */
  async publish(subject: string, payload: string, options: PublishOptions = {}): Promise<void> {
    const wire = this.wireSubject(subject);
    const publishOptions = {
      ...(options.msgId ? { msgID: options.msgId } : {}),
      ...(options.headers ? { headers: natsHeaders(options.headers) } : {}),
    };
    const policy = this.publishRetry;
    const startedAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      try {
        await this.js.publish(wire, payload, publishOptions);
        return;
      } catch (err) {
        const failure = transientPublishFailure(err);
        const retryInMs = publishRetryDelay(policy, attempt);
        const retryable = failure === 'not-stored' || (failure === 'unknown' && publishOptions.msgID !== undefined);
        if (!retryable || this.closing) throw err;
        if (attempt >= policy.attempts || Date.now() + retryInMs - startedAt > policy.deadlineMs) {
          this.logger.warn(
            { err, subject, msgId: options.msgId, attempts: attempt },
            'JetStream publish failed on every attempt; giving up',
          );
          throw err;
        }
        this.retriedPublishes += 1;
        this.logger.warn(
          { err, subject, msgId: options.msgId, attempt, retryInMs },
          'JetStream publish failed for a passing reason; retrying',
        );
        await new Promise((resolve) => setTimeout(resolve, retryInMs));
      }
    }
  }

  /** How many times a publish was sent again since the bus connected (see {@link JetStreamBus.publish}). */
  get publishRetries(): number {
    return this.retriedPublishes;
  }

  isConnected(): boolean {
    return this.state.up && !this.connection.isClosed();
  }

  downForMs(): number {
    return this.state.downForMs();
  }

  onLost(callback: (err: Error) => void): void {
    this.state.onLost(callback);
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

  /**
   * Pulls messages and hands them to the handler, at most `spec.maxInFlight`
   * at a time. Each pull asks for as many messages as there are free handlers,
   * so a message never waits in a client buffer while its ack wait runs out
   * (a `consume()` refills its buffer as messages arrive, not as they are
   * handled). A failed pull (the connection is down, say) is retried after a
   * short capped delay. A pull for many free slots delivers many messages at
   * once, which is what a {@link BatchListener} gathers into a batch; its
   * handler settles when the batch is done, so a batch being stored holds its
   * slots and nothing more is pulled meanwhile.
   */
  private async pump(consumer: Consumer, spec: SubscriptionSpec, handler: MessageHandler, pull: PullState) {
    const inFlight = new Set<Promise<void>>();
    const dispatch = (m: JsMsg) => {
      const work: Promise<void> = handler(new JetStreamEventMessage(m, spec.subject))
        .catch((err: unknown) => this.logger.error({ err, subject: spec.subject }, 'message handler failed'))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    };
    let failures = 0;
    while (!pull.stopped) {
      if (inFlight.size >= spec.maxInFlight) {
        await Promise.race(inFlight);
        continue;
      }
      try {
        pull.batch = await consumer.fetch({ max_messages: spec.maxInFlight - inFlight.size, expires: PULL_EXPIRES_MS });
        // close() may have come while the pull was being set up.
        if (pull.stopped) pull.batch.stop();
        for await (const m of pull.batch) {
          // After a reconnect the client asks again for the whole batch: wait for a free handler.
          while (inFlight.size >= spec.maxInFlight) await Promise.race(inFlight);
          dispatch(m);
        }
        failures = 0;
      } catch (err) {
        if (pull.stopped) break;
        failures += 1;
        const retryInMs = Math.min(250 * 2 ** failures, 5_000);
        this.logger.warn({ err, subject: spec.subject, retryInMs }, 'JetStream pull failed; pulling again');
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, retryInMs);
          pull.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    }
    await Promise.allSettled(inFlight);
  }

  /**
   * Logs the server's advisory for a message it stopped delivering because the
   * consumer's `max_deliver` was reached, which means the dead letter could not
   * be published either.
   */
  private watchMaxDeliveries(durable: string, spec: SubscriptionSpec): Subscription {
    return this.connection.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.stream}.${durable}`, {
      callback: (err, msg) => {
        if (err) return;
        let advisory: { stream_seq?: number; deliveries?: number } = {};
        try {
          advisory = msg.json();
        } catch {
          // the advisory's body is the server's; log what can be read of it
        }
        this.logger.error(
          {
            subject: spec.subject,
            queueGroup: spec.queueGroupName,
            sequence: advisory.stream_seq,
            deliveries: advisory.deliveries,
          },
          'JetStream stopped delivering a message after max_deliver; it was not dead-lettered and stays in the stream',
        );
      },
    });
  }

  private async watchStatus(): Promise<void> {
    for await (const status of this.connection.status()) {
      if (status.type === 'disconnect') {
        this.state.markDown();
        this.logger.warn({ server: status.server }, 'NATS disconnected');
      } else if (status.type === 'reconnect') {
        this.state.markUp();
        this.logger.info({ server: status.server }, 'NATS reconnected');
      }
    }
  }

  /** A connection that closes without `close()` was given up by the client: it will not come back. */
  private async watchClosed(): Promise<void> {
    const err = await this.connection.closed();
    if (this.closing) {
      this.state.markDown();
      return;
    }
    const lost = err ?? new Error('the NATS connection closed on its own');
    this.logger.error({ err: lost }, 'NATS connection lost for good');
    this.state.markLost(lost);
  }

  private async ensureConsumer(durable: string, spec: SubscriptionSpec): Promise<void> {
    const wanted = {
      ack_wait: nanos(spec.ackWait),
      max_deliver: spec.maxDeliveries === undefined ? -1 : spec.maxDeliveries + DEAD_LETTER_RETRY_DELIVERIES,
      max_ack_pending: spec.maxInFlight + ACK_PENDING_ROOM,
    };
    try {
      const info = await this.jsm.consumers.info(this.stream, durable);
      const changed = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((k) => info.config[k] !== wanted[k]);
      if (changed.length > 0) {
        await this.jsm.consumers.update(this.stream, durable, wanted);
        this.logger.info({ durable, changed, ...wanted }, 'updated the consumer');
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
        ...wanted,
      });
    }
  }
}

/** The pull loop of one subscription, which `close()` stops. */
interface PullState {
  stopped: boolean;
  /** The pull in progress. */
  batch?: ConsumerMessages;
  /** Ends the wait before a pull is retried. */
  wake?: () => void;
}

/** NATS headers of a plain record; names starting with `Nats-` are refused, NATS uses them itself. */
function natsHeaders(record: Record<string, string>) {
  const h = headers();
  for (const [name, value] of Object.entries(record)) {
    if (/^nats-/i.test(name)) {
      throw new RangeError(`header ${name} is reserved by NATS; a dedupe id goes in PublishOptions.msgId`);
    }
    h.set(name, value);
  }
  return h;
}
