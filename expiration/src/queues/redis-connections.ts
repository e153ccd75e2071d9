import type { QueueOptions } from 'bull';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

/** A master found through Redis Sentinel. */
export interface RedisSentinelOptions {
  /** Where the sentinels listen; any one that answers will do. */
  sentinels: Array<{ host: string; port: number }>;
  /** The name the sentinels monitor the master under. */
  name: string;
  /** The sentinels' own password, if they have one. */
  password?: string;
}

/** Where Redis is, and how long a command on the general connection may wait. */
export interface RedisConnectionOptions {
  /** A single Redis; not used when {@link RedisConnectionOptions.sentinel} is set. */
  host: string;
  port: number;
  /**
   * Find the master through these sentinels, on every connect and reconnect,
   * instead of at host and port.
   */
  sentinel?: RedisSentinelOptions;
  /** The data nodes' password. */
  password?: string;
  /**
   * How long a command on the general connection may wait for its answer
   * before it fails. Not applied to Bull's blocking and subscriber
   * connections. No limit when absent.
   */
  commandTimeoutMs?: number;
}

/**
 * The Redis connections of one queue: the general one, opened at once, and
 * Bull's blocking and subscriber ones, opened when Bull asks for them through
 * {@link RedisConnections.createClient}. {@link RedisConnections.disconnect}
 * quits every one of them.
 */
export class RedisConnections {
  /**
   * The general connection: Bull's `client`, and the one the scheduler,
   * cancellations and PING use. It keeps ioredis's bounded retries, so that an
   * add or a ping fails (and the message is redelivered) while Redis is down
   * instead of hanging; and a command timeout, so that they fail too when
   * Redis hangs (the connection stays up, nothing is retried, and without it
   * the command would wait for ever).
   */
  readonly client: Redis;
  private readonly base: RedisOptions;
  private readonly opened: Redis[] = [];
  private disconnecting?: Promise<void>;

  /**
   * @param options - host, port, password, command timeout
   * @param logger - where connection errors go
   */
  constructor(
    options: RedisConnectionOptions,
    private readonly logger: Logger,
  ) {
    this.base = { ...where(options), password: options.password };
    this.client = this.open('client', { ...this.base, commandTimeout: options.commandTimeoutMs });
  }

  /**
   * Bull's `createClient`. The blocking and subscriber connections take the
   * settings Bull requires of them (see OptimalBits/bull#1873): their commands
   * must wait across reconnects, and a BRPOPLPUSH waits by design.
   */
  readonly createClient: NonNullable<QueueOptions['createClient']> = (type) =>
    type === 'client'
      ? this.client
      : this.open(type, { ...this.base, maxRetriesPerRequest: null, enableReadyCheck: false });

  /** Quits every connection (drops it if Redis does not answer soon). Safe to call twice. */
  disconnect(): Promise<void> {
    this.disconnecting ??= Promise.all(this.opened.map(quit)).then(() => undefined);
    return this.disconnecting;
  }

  private open(type: string, options: RedisOptions): Redis {
    if (this.disconnecting) {
      // Bull opens its connections lazily, and a close() right after
      // process() can make it ask for one after disconnect(): hand it one that
      // is already closed, or that connection would live on (and keep the
      // process alive) with nobody to quit it.
      const closed = new Redis({ ...options, lazyConnect: true });
      closed.disconnect();
      return closed;
    }
    const connection = new Redis({ ...options, connectionName: `expiration:${type}` });
    // ioredis retries for ever; without a listener every failed attempt would
    // be printed as an unhandled error event.
    connection.on('error', (err: Error) =>
      this.logger.warn({ err: err.message, connection: type }, 'redis connection error'),
    );
    this.opened.push(connection);
    return connection;
  }
}

/**
 * The ioredis options that say where Redis is: a host and port, or the
 * sentinels to ask for the master.
 */
function where(options: RedisConnectionOptions): RedisOptions {
  if (!options.sentinel) return { host: options.host, port: options.port };
  return {
    sentinels: options.sentinel.sentinels,
    name: options.sentinel.name,
    sentinelPassword: options.sentinel.password,
    // A master that dies closes the connections; each reconnect asks the
    // sentinels again and finds the one they promoted. A master the sentinels
    // demote while it stays up has its clients killed by them (CLIENT KILL,
    // right after the REPLICAOF), with the same effect. ioredis's
    // failoverDetector is not used: a +switch-master that arrives while a
    // connection is reconnecting, which is when a master has died, makes
    // ioredis end that connection for good ("Connection is closed.", status
    // end): seen in bench/faults/redis-sentinel.test.ts, where Bull's blocking
    // connection was lost that way and no job fired again.
    // A write that still reaches a replica (READONLY) reconnects, to ask the
    // sentinels again; the write fails, and its batch is redelivered.
    reconnectOnError: (err: Error) => err.message.startsWith('READONLY'),
    // An answer from a sentinel that hangs is given up on like a command on
    // the general connection, so the next sentinel is asked.
    sentinelCommandTimeout: options.commandTimeoutMs,
  };
}

/**
 * Resolves once a connection is ready, or after `timeoutMs` (Redis may be down;
 * the caller copes).
 *
 * @param connection - a connection
 * @param timeoutMs - the longest wait
 */
export function whenReady(connection: Redis, timeoutMs = 2_000): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      connection.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    connection.once('ready', done);
  });
}

/** QUIT, or drop the connection if Redis does not answer soon (it may be down). */
async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end') return;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), 1_000);
  });
  try {
    const result = await Promise.race([connection.quit(), timeout]);
    if (result === 'timeout') connection.disconnect();
  } catch {
    connection.disconnect();
  } finally {
    clearTimeout(timer);
  }
}
