import Bull, { type Queue } from 'bull';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import type { QueueState } from '../metrics';
import { Cancellations, type CancelResult } from './cancellations';
import { correlationIdOfJob, type ExpirationJob, type ExpirationJobData } from './expiration-job';
import { FailedJobReviver } from './failed-job-reviver';
import { ExpirationJobOptions, type ExpirationJobOptionsSettings } from './job-options';
import { countDelayedDueBetween, readConnectedReplicas, readRedisMemory, type RedisMemory } from './queue-readings';
import { RedisConnections, whenReady, type RedisConnectionOptions } from './redis-connections';
import { ReplicaWait, type ReplicaWaitOptions } from './replica-wait';
import { ExpirationScheduler, type ExpirationRequest, type ScheduleResult } from './scheduler';

export type { CancelResult } from './cancellations';
export type { ExpirationJobData } from './expiration-job';
export type { RedisMemory } from './queue-readings';
export type { ExpirationRequest, ScheduleResult } from './scheduler';

/** The Bull queue's name; its keys are `<prefix>:order:expiration:*` in Redis. */
export const EXPIRATION_QUEUE_NAME = 'order:expiration';

/**
 * The channel of the PUBLISH that makes WAIT cover other connections' writes
 * (see `ReplicaWait`), under the queue's prefix. Nobody subscribes to it.
 */
const REPLICA_FENCE_CHANNEL = 'replica-fence';

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

/** Options of {@link createExpirationQueue}. */
export interface ExpirationQueueOptions extends ExpirationJobOptionsSettings {
  redis: RedisConnectionOptions;
  /**
   * How many replicas must hold a batch of jobs, or a cancellation, before
   * it is done (see `ReplicaWait`).
   *
   * @defaultValue none: done once the master has it
   */
  replicaWait?: ReplicaWaitOptions;
  /** Bull's key prefix. Tests give each run its own. */
  prefix: string;
  /** @defaultValue {@link LOCK_DURATION_MS} */
  lockDurationMs?: number;
  /** @defaultValue {@link STALLED_INTERVAL_MS} */
  stalledIntervalMs?: number;
  logger: Logger;
}

/**
 * The expiration queue of one service instance: the Bull queue `order:expiration`
 * and its Redis connections, with the parts the listeners and the worker use,
 * each in its own file: the scheduler (`scheduler.ts`), the cancellations
 * (`cancellations.ts`), the revival of failed jobs (`failed-job-reviver.ts`)
 * and the job options with their backoff (`job-options.ts`).
 */
export class ExpirationQueue {
  /** The Bull queue. */
  readonly queue: Queue<ExpirationJobData>;
  /** The general-purpose Redis connection (not the blocking or subscriber one). */
  readonly redis: Redis;
  /** The job defaults and the retry delays Bull applies. */
  readonly jobOptions: ExpirationJobOptions;
  private readonly connections: RedisConnections;
  private readonly scheduler: ExpirationScheduler;
  private readonly cancellations: Cancellations;
  private readonly replicaWait: ReplicaWait;
  private readonly reviver: FailedJobReviver;
  private readonly log: Logger;
  private processing = false;
  private closing?: Promise<void>;

  /** @param options - Redis, prefix, retries, retention, logger */
  constructor(options: ExpirationQueueOptions) {
    this.log = options.logger;
    const log = this.log;
    this.connections = new RedisConnections(options.redis, log);
    this.redis = this.connections.client;
    this.jobOptions = new ExpirationJobOptions(options);
    this.queue = new Bull<ExpirationJobData>(EXPIRATION_QUEUE_NAME, {
      prefix: options.prefix,
      createClient: this.connections.createClient,
      defaultJobOptions: this.jobOptions.defaults,
      settings: {
        lockDuration: options.lockDurationMs ?? LOCK_DURATION_MS,
        stalledInterval: options.stalledIntervalMs ?? STALLED_INTERVAL_MS,
        maxStalledCount: MAX_STALLED_COUNT,
        backoffStrategies: this.jobOptions.backoffStrategies,
      },
    });
    this.queue.on('error', (err: Error) => log.error({ err }, 'queue error'));
    this.queue.on('stalled', (job: ExpirationJob) =>
      log.warn(
        { orderId: job.data.orderId, correlationId: correlationIdOfJob(job) },
        'job stalled (its worker died or hung); retrying it',
      ),
    );
    this.queue.on('failed', (job: ExpirationJob, err: Error) => {
      // Bull emits 'failed' for every failed try; only the last one parks the
      // job, as does stalling more than MAX_STALLED_COUNT times.
      if (job.attemptsMade >= (job.opts.attempts ?? 1) || /stalled more than/.test(err.message)) {
        log.error(
          { orderId: job.data.orderId, correlationId: correlationIdOfJob(job), attempts: job.attemptsMade, err },
          'expiration attempts exhausted; parked as failed until the next retry sweep',
        );
      }
    });
    this.cancellations = new Cancellations(this.queue, this.redis, options.retentionSeconds);
    // On this.redis, which is Bull's client: the connection its adds go through.
    this.replicaWait = new ReplicaWait(
      this.redis,
      options.replicaWait ?? { replicas: 0, timeoutMs: 0 },
      this.queue.toKey(REPLICA_FENCE_CHANNEL),
    );
    this.scheduler = new ExpirationScheduler({
      queue: this.queue,
      client: this.redis,
      cancellations: this.cancellations,
      replicaWait: this.replicaWait,
    });
    this.reviver = new FailedJobReviver(this.queue, this.redis, log);
  }

  /** See {@link ExpirationScheduler.scheduleExpiration}. */
  scheduleExpiration(orderId: string, expiresAt: Date, correlationId?: string): Promise<ScheduleResult> {
    return this.scheduler.scheduleExpiration(orderId, expiresAt, correlationId);
  }

  /** See {@link ExpirationScheduler.scheduleExpirations}. */
  scheduleExpirations(requests: readonly ExpirationRequest[]): Promise<ScheduleResult[]> {
    return this.scheduler.scheduleExpirations(requests);
  }

  /**
   * See {@link Cancellations.cancel}. With `replicaWait`, done only once the
   * replicas hold the cancellation (and the job's removal).
   *
   * @throws ReplicaShortfallError when they don't confirm in time
   */
  cancelExpiration(orderId: string): Promise<CancelResult> {
    return this.replicaWait.afterWrites(() => this.cancellations.cancel(orderId));
  }

  /** Whether an order was cancelled within the retention window. */
  isCancelled(orderId: string): Promise<boolean> {
    return this.cancellations.isCancelled(orderId);
  }

  /** See {@link FailedJobReviver.reviveAll}. */
  retryFailed(): Promise<number> {
    return this.reviver.reviveAll();
  }

  /** See {@link FailedJobReviver.startSweep}. */
  startFailedSweep(intervalMs: number, shouldRun: () => boolean): () => void {
    return this.reviver.startSweep(intervalMs, shouldRun);
  }

  /** The size of each state, for the metrics. */
  async counts(): Promise<Record<QueueState, number>> {
    const c = await this.queue.getJobCounts();
    return { delayed: c.delayed, waiting: c.waiting, active: c.active, failed: c.failed };
  }

  /**
   * How many delayed jobs fall due from now until `withinMs` from now. Jobs
   * already due but not yet moved out of `delayed` by Bull are not counted.
   *
   * @param withinMs - the window ahead, in ms
   * @returns the number of jobs
   */
  dueWithin(withinMs: number): Promise<number> {
    const now = Date.now();
    return countDelayedDueBetween(this.redis, this.queue.toKey('delayed'), now, now + withinMs);
  }

  /** Redis's memory use and limit (`INFO memory`); a `maxBytes` of 0 means no limit. */
  redisMemory(): Promise<RedisMemory> {
    return readRedisMemory(this.redis);
  }

  /** How many replicas the master has now (`INFO replication`). */
  connectedReplicas(): Promise<number> {
    return readConnectedReplicas(this.redis);
  }

  /** Whether Redis answers a PING. */
  async ping(): Promise<boolean> {
    return (await this.redis.ping()) === 'PONG';
  }

  /**
   * Starts the worker. Bull's `process()` promise only settles when the queue
   * closes, so it is not returned; start-up errors are logged.
   *
   * @param concurrency - jobs run at once
   * @param processor - handles one job
   */
  process(concurrency: number, processor: (job: ExpirationJob) => Promise<unknown>): void {
    this.processing = true;
    this.queue
      .process(concurrency, processor)
      .catch((err: unknown) => this.log.error({ err }, 'the queue worker stopped'));
  }

  /** Stops taking jobs and waits for the active ones to finish. Safe to call twice. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.processing) await this.settleWorkerStart();
      await this.queue.close();
    })();
    return this.closing;
  }

  /** Closes the Redis connections; call after {@link ExpirationQueue.close}. Safe to call twice. */
  disconnect(): Promise<void> {
    return this.connections.disconnect();
  }

  /**
   * process() makes Bull name its blocking connection with a command it never
   * awaits (setWorkerName in bull/lib/worker.js), sent once the main
   * connection is ready, while the blocking connection is still connecting. A
   * close() then quits that connection and fails the queued command as an
   * unhandled rejection. So before closing, let the blocking connection come
   * up, which sends what is queued on it ahead of the QUIT.
   */
  private async settleWorkerStart(): Promise<void> {
    await whenReady(this.redis);
    // Bull's own 'ready' handler runs first and asks for the blocking connection.
    await new Promise((resolve) => setImmediate(resolve));
    const internals = this.queue as unknown as { bclientInitialized?: boolean; bclient: Redis };
    if (internals.bclientInitialized) await whenReady(internals.bclient);
  }
}

/**
 * Opens the Redis connections and the Bull queue `order:expiration`. Nothing is
 * processed until {@link ExpirationQueue.process} is called.
 *
 * @param options - Redis, prefix, retries, retention, logger
 * @returns the queue and its helpers
 */
export function createExpirationQueue(options: ExpirationQueueOptions): ExpirationQueue {
  return new ExpirationQueue(options);
}
