import Bull, { type Job, type JobOptions, type Queue, type QueueOptions } from 'bull';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { QueueState } from '../metrics';
import { expirationJobId, legacyExpirationJobId } from './expiration-job-id';

/** The Bull queue's name; its keys are `<prefix>:order:expiration:*` in Redis. */
export const EXPIRATION_QUEUE_NAME = 'order:expiration';

/** The name of the backoff strategy registered on the queue. */
export const CAPPED_EXPONENTIAL = 'capped-exponential';

/**
 * How long a worker's lock on an active job lasts; the worker renews it every
 * half of that. Bull's default is 30 s, and a stalled job is only noticed once
 * its lock has expired AND a stalled check has seen it twice, so with the
 * defaults a job that was active when its process died waits about a minute.
 *
 * The trade-off: a job that really runs longer than the lock (or whose worker's
 * event loop is blocked that long, so the renewal can't run) is taken for
 * stalled and handed to another worker while the first is still on it, i.e.
 * processed twice. Our job is one publish that NATS acks in milliseconds, and a
 * second publish of the same expiration is dropped by JetStream's duplicate
 * window (the publisher sets a message id), so 5 s is far above the real run
 * time. The stalled check runs every second (one small Lua script per worker),
 * so a crashed job is retried a few seconds after its lock expires: measured
 * at 3.6 s worst case in bench/, against about 15 s with a 5 s interval.
 */
export const LOCK_DURATION_MS = 5_000;
/**
 * How often this worker looks for stalled jobs. Bull often skips a round, so a
 * short interval is what makes recovery fast; see {@link LOCK_DURATION_MS}.
 */
export const STALLED_INTERVAL_MS = 1_000;
/**
 * How many times a job may stall before Bull fails it. A stall here means a
 * crash, which says nothing about the job itself, so allow several; a job that
 * is failed anyway is revived by {@link ExpirationQueue.retryFailed}.
 */
export const MAX_STALLED_COUNT = 5;

/**
 * What an expiration job carries. Its id is {@link expirationJobId} of the
 * order (an earlier version's jobs: the bare order id), so the order id is read
 * from here, never from the job id.
 */
export interface ExpirationJobData {
  orderId: string;
}

/** Options of {@link createExpirationQueue}. */
export interface ExpirationQueueOptions {
  redis: {
    host: string;
    port: number;
    password?: string;
    /**
     * How long a command on the general connection may wait for its answer
     * before it fails. Not applied to Bull's blocking and subscriber
     * connections. No limit when absent.
     */
    commandTimeoutMs?: number;
  };
  /** Bull's key prefix. Tests give each run its own. */
  prefix: string;
  /** Tries of one job's publish before it is parked as failed. */
  publishAttempts: number;
  /** The first retry's delay. */
  backoffMs: number;
  /** The longest delay between two retries. */
  backoffMaxMs: number;
  /** How long a completed job (and a cancellation) is remembered. */
  retentionSeconds: number;
  /** @defaultValue {@link LOCK_DURATION_MS} */
  lockDurationMs?: number;
  /** @defaultValue {@link STALLED_INTERVAL_MS} */
  stalledIntervalMs?: number;
  logger: Logger;
}

/** What {@link ExpirationQueue.scheduleExpiration} did. */
export type ScheduleResult =
  | { outcome: 'scheduled'; delayMs: number }
  /** The order already has a job (pending, done within the retention window, or failed). */
  | { outcome: 'duplicate'; state: string }
  /** The order was cancelled before its order:created arrived. */
  | { outcome: 'cancelled' };

/** What {@link ExpirationQueue.cancelExpiration} did. */
export type CancelResult =
  /** The pending job is gone. */
  | 'removed'
  /** No job yet; the recorded cancellation stops one scheduled later. */
  | 'not-scheduled'
  /** The expiration was already published. */
  | 'already-expired'
  /** The job is running right now; the processor sees the cancellation unless it already published. */
  | 'active';

/** The expiration queue of one service instance, with the helpers the listeners use. */
export interface ExpirationQueue {
  /** The Bull queue. */
  readonly queue: Queue<ExpirationJobData>;
  /** The general-purpose Redis connection (not the blocking or subscriber one). */
  readonly redis: Redis;
  /**
   * Creates the job that fires at `expiresAt`, unless the order already has one
   * (under {@link expirationJobId}, or under the bare order id as an earlier
   * version named it). Safe to call twice: Bull's add does nothing for a job
   * id that exists.
   *
   * @param orderId - the order
   * @param expiresAt - when the reservation ends; a past date fires at once
   * @returns what was done
   */
  scheduleExpiration(orderId: string, expiresAt: Date): Promise<ScheduleResult>;
  /**
   * Records that an order was cancelled and removes its pending job, an
   * earlier version's one included.
   *
   * @param orderId - the order
   * @returns what was done
   */
  cancelExpiration(orderId: string): Promise<CancelResult>;
  /** Whether an order was cancelled within the retention window. */
  isCancelled(orderId: string): Promise<boolean>;
  /**
   * Puts jobs whose attempts ran out back in the queue, with fresh attempts.
   *
   * @returns how many were retried
   */
  retryFailed(): Promise<number>;
  /** The size of each state, for the metrics. */
  counts(): Promise<Record<QueueState, number>>;
  /** Whether Redis answers a PING. */
  ping(): Promise<boolean>;
  /**
   * Starts the worker. Bull's `process()` promise only settles when the queue
   * closes, so it is not returned; start-up errors are logged.
   *
   * @param concurrency - jobs run at once
   * @param processor - handles one job
   */
  process(concurrency: number, processor: (job: Job<ExpirationJobData>) => Promise<unknown>): void;
  /** Stops taking jobs and waits for the active ones to finish. Safe to call twice. */
  close(): Promise<void>;
  /** Closes the Redis connections; call after {@link ExpirationQueue.close}. Safe to call twice. */
  disconnect(): Promise<void>;
}

/**
 * The delay before retry `attemptsMade`: `baseMs`, doubling with each attempt, at most `maxMs`.
 *
 * @param baseMs - the first delay
 * @param maxMs - the cap
 * @returns Bull's backoff strategy
 */
export function cappedExponentialBackoff(baseMs: number, maxMs: number): (attemptsMade: number) => number {
  return (attemptsMade) => Math.min(baseMs * 2 ** Math.max(0, attemptsMade - 1), maxMs);
}

/**
 * Opens the Redis connections and the Bull queue `order:expiration`. Nothing is
 * processed until {@link ExpirationQueue.process} is called.
 *
 * @param options - Redis, prefix, retries, retention, logger
 * @returns the queue and its helpers
 */
export function createExpirationQueue(options: ExpirationQueueOptions): ExpirationQueue {
  const log = options.logger;
  const { host, port, password, commandTimeoutMs } = options.redis;
  const base: RedisOptions = { host, port, password };
  const connections: Redis[] = [];
  let closing: Promise<void> | undefined;
  let disconnecting: Promise<void> | undefined;
  const connect = (type: string, redisOptions: RedisOptions): Redis => {
    if (disconnecting) {
      // Bull opens its connections lazily, and a close() right after
      // process() can make it ask for one after disconnect(): hand it one that
      // is already closed, or that connection would live on (and keep the
      // process alive) with nobody to quit it.
      const closed = new Redis({ ...redisOptions, lazyConnect: true });
      closed.disconnect();
      return closed;
    }
    const connection = new Redis({ ...redisOptions, connectionName: `expiration:${type}` });
    // ioredis retries for ever; without a listener every failed attempt would
    // be printed as an unhandled error event.
    connection.on('error', (err: Error) => log.warn({ err: err.message, connection: type }, 'redis connection error'));
    connections.push(connection);
    return connection;
  };
  // The general connection keeps ioredis's bounded retries, so that an add or
  // a ping fails (and the message is redelivered) while Redis is down instead
  // of hanging; and a command timeout, so that they fail too when Redis hangs
  // (the connection stays up, nothing is retried, and without it the command
  // would wait for ever). The blocking and subscriber connections take the
  // settings Bull requires of them (see OptimalBits/bull#1873): their commands
  // must wait across reconnects, and a BRPOPLPUSH waits by design.
  const client = connect('client', { ...base, commandTimeout: commandTimeoutMs });
  const createClient: QueueOptions['createClient'] = (type) =>
    type === 'client' ? client : connect(type, { ...base, maxRetriesPerRequest: null, enableReadyCheck: false });

  const retentionMs = options.retentionSeconds * 1000;
  const defaultJobOptions: JobOptions = {
    attempts: options.publishAttempts,
    backoff: { type: CAPPED_EXPONENTIAL },
    // Age-based retention: a completed job stays long enough for a late
    // duplicate order:created to find it (and be ignored), then Bull deletes it
    // the next time a job completes, so Redis memory stays bounded.
    removeOnComplete: { age: options.retentionSeconds },
    // A failed job is an expiration that was not published yet: keep it, so
    // retryFailed() can put it back.
    removeOnFail: false,
  };
  const queue = new Bull<ExpirationJobData>(EXPIRATION_QUEUE_NAME, {
    prefix: options.prefix,
    createClient,
    defaultJobOptions,
    settings: {
      lockDuration: options.lockDurationMs ?? LOCK_DURATION_MS,
      stalledInterval: options.stalledIntervalMs ?? STALLED_INTERVAL_MS,
      maxStalledCount: MAX_STALLED_COUNT,
      backoffStrategies: { [CAPPED_EXPONENTIAL]: cappedExponentialBackoff(options.backoffMs, options.backoffMaxMs) },
    },
  });
  queue.on('error', (err: Error) => log.error({ err }, 'queue error'));
  queue.on('stalled', (job: Job<ExpirationJobData>) =>
    log.warn({ orderId: job.data.orderId }, 'job stalled (its worker died or hung); retrying it'),
  );
  queue.on('failed', (job: Job<ExpirationJobData>, err: Error) => {
    // Bull emits 'failed' for every failed try; only the last one parks the
    // job, as does stalling more than MAX_STALLED_COUNT times.
    if (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than/.test(err.message)) {
      log.error(
        { orderId: job.data.orderId, attempts: job.attemptsMade, err },
        'expiration attempts exhausted; parked as failed until the next retry sweep',
      );
    }
  });

  // Cancellations live in one sorted set scored by time, trimmed to the
  // retention window on each write, so its size stays bounded.
  const cancelledKey = queue.toKey('cancelled');

  const isCancelled = async (orderId: string): Promise<boolean> =>
    (await client.zscore(cancelledKey, orderId)) !== null;

  const schedule = async (orderId: string, expiresAt: Date): Promise<ScheduleResult> => {
    const jobId = expirationJobId(orderId);
    const legacyJobId = legacyExpirationJobId(orderId);
    // Every check in one round trip: at ingest, round trips are the cost.
    const checks = client.pipeline().zscore(cancelledKey, orderId).exists(queue.toKey(jobId));
    if (legacyJobId !== undefined) checks.exists(queue.toKey(legacyJobId));
    const replies = await checks.exec();
    if (!replies) throw new Error('redis discarded the pipeline');
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    const [[, cancelScore], [, exists], [, legacyExists] = [null, 0]] = replies;
    if (cancelScore !== null) return { outcome: 'cancelled' };
    if (exists === 1 || legacyExists === 1) {
      const existing = await queue.getJob(exists === 1 ? jobId : (legacyJobId as string));
      return { outcome: 'duplicate', state: existing ? await existing.getState() : 'removed' };
    }
    const now = Date.now();
    const due = expiresAt.getTime();
    const delayMs = Math.max(0, due - now);
    // timestamp + delay is the order's expiresAt even when it is past (a
    // zero delay from a back-dated timestamp), so the processor can measure
    // lateness from the job alone and the payload stays {orderId}. Bull
    // honours opts.timestamp (lib/job.js setDefaultOpts; repeatable jobs use
    // it) although its typings leave it out.
    const jobOptions: JobOptions & { timestamp: number } = {
      jobId,
      delay: delayMs,
      timestamp: Math.min(now, due),
    };
    await queue.add({ orderId }, jobOptions);
    return { outcome: 'scheduled', delayMs };
  };
  const scheduling = new Map<string, Promise<ScheduleResult>>();

  let processing = false;
  // process() makes Bull name its blocking connection with a command it never
  // awaits (setWorkerName in bull/lib/worker.js), sent once the main
  // connection is ready, while the blocking connection is still connecting. A
  // close() then quits that connection and fails the queued command as an
  // unhandled rejection. So before closing, let the blocking connection come
  // up, which sends what is queued on it ahead of the QUIT.
  const settleWorkerStart = async (): Promise<void> => {
    await whenReady(client);
    // Bull's own 'ready' handler runs first and asks for the blocking connection.
    await new Promise((resolve) => setImmediate(resolve));
    const internals = queue as unknown as { bclientInitialized?: boolean; bclient: Redis };
    if (internals.bclientInitialized) await whenReady(internals.bclient);
  };

  return {
    queue,
    redis: client,
    isCancelled,

    scheduleExpiration(orderId, expiresAt) {
      // Copies of one order:created handled at the same time (the listener
      // runs many messages at once) would all pass the EXISTS check before
      // either had added, and all report "scheduled". Queueing them per order
      // lets the second one see the first one's job. Across instances two
      // copies can still race; Bull's add keeps that to one job all the same.
      const previous = scheduling.get(orderId) ?? Promise.resolve();
      const current = previous.catch(() => undefined).then(() => schedule(orderId, expiresAt));
      scheduling.set(orderId, current);
      return current.finally(() => {
        if (scheduling.get(orderId) === current) scheduling.delete(orderId);
      });
    },

    async cancelExpiration(orderId) {
      const now = Date.now();
      // Record first: from here on neither a late order:created nor the
      // processor will act on this order, whatever happens to the job below.
      await client
        .multi()
        .zadd(cancelledKey, now, orderId)
        .zremrangebyscore(cancelledKey, '-inf', now - retentionMs)
        .exec();
      // An earlier version's job too: until the last of those has fired, an
      // order may have one (or, scheduled during a rolling upgrade, both).
      const legacyJobId = legacyExpirationJobId(orderId);
      const jobs = await Promise.all([
        queue.getJob(expirationJobId(orderId)),
        legacyJobId === undefined ? null : queue.getJob(legacyJobId),
      ]);
      const results = await Promise.all(
        jobs.map((job): Promise<CancelResult> => (job ? removePending(job) : Promise.resolve('not-scheduled'))),
      );
      return CANCEL_RESULTS_BY_WEIGHT.find((result) => results.includes(result)) ?? 'not-scheduled';
    },

    async retryFailed() {
      const failed = await queue.getFailed();
      let retried = 0;
      for (const job of failed) {
        try {
          // Bull's retry() keeps attemptsMade, so a retried job would get one
          // try only; give it the full budget again.
          await client.hset(queue.toKey(String(job.id)), 'attemptsMade', 0);
          await job.retry();
          retried++;
          log.info({ orderId: job.data.orderId }, 'retrying a failed expiration');
        } catch (err) {
          log.warn({ err, orderId: job.data.orderId }, 'could not retry a failed expiration');
        }
      }
      return retried;
    },

    async counts() {
      const c = await queue.getJobCounts();
      return { delayed: c.delayed, waiting: c.waiting, active: c.active, failed: c.failed };
    },

    async ping() {
      return (await client.ping()) === 'PONG';
    },

    process(concurrency, processor) {
      processing = true;
      queue.process(concurrency, processor).catch((err: unknown) => log.error({ err }, 'the queue worker stopped'));
    },

    close() {
      closing ??= (async () => {
        if (processing) await settleWorkerStart();
        await queue.close();
      })();
      return closing;
    },

    disconnect() {
      disconnecting ??= Promise.all(connections.map(quit)).then(() => undefined);
      return disconnecting;
    },
  };
}

/**
 * When an order had two jobs, what its cancellation says: the one that tells
 * most about whether expiration:complete was (or may yet be) published.
 */
const CANCEL_RESULTS_BY_WEIGHT: readonly CancelResult[] = ['active', 'already-expired', 'removed', 'not-scheduled'];

/** Removes a job unless it has completed or is running. */
async function removePending(job: Job<ExpirationJobData>): Promise<CancelResult> {
  const state = await job.getState();
  if (state === 'completed') return 'already-expired';
  try {
    await job.remove();
    return 'removed';
  } catch {
    // Locked: a worker is running it right now.
    return 'active';
  }
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

/** Resolves once a connection is ready, or after `timeoutMs` (Redis may be down; close() copes). */
function whenReady(connection: Redis, timeoutMs = 2_000): Promise<void> {
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
