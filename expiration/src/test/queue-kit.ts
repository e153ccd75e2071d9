/**
 * The expiration queue as the tests build it: under a prefix of the test's
 * own, with retries short enough for a test, a worker publishing to a bus the
 * test holds, and the waits on a job the queue tests share. Not part of the build.
 */
import type { Job, Queue } from 'bull';
import type { EventBus, Logger } from '@grider-ms-tickets/common';
import { ExpirationCompletePublisher } from '../events/publishers/expiration-complete-publisher';
import type { ExpirationMetrics } from '../metrics';
import { Cancellations } from '../queues/cancellations';
import type { ExpirationJobData } from '../queues/expiration-job';
import { createExpirationProcessor } from '../queues/expiration-processor';
import { createExpirationQueue, type ExpirationQueue, type ExpirationQueueOptions } from '../queues/expiration-queue';
import { ExpirationScheduler } from '../queues/scheduler';
import { REDIS_HOST, REDIS_PORT, testLogger, uniqueName, waitFor } from './helpers';

/** What a test may change of {@link testQueue}'s settings. */
export interface TestQueueOptions extends Partial<Omit<ExpirationQueueOptions, 'redis'>> {
  /** A Redis of the test's own (its port), or a command timeout; the shared Redis otherwise. */
  redis?: { port?: number; commandTimeoutMs?: number };
}

/**
 * An expiration queue under a fresh prefix: 3 publish attempts 50 to 200 ms
 * apart, finished jobs kept an hour, a silent logger. Close it with
 * `destroyQueue` (helpers.ts).
 *
 * @param label - the start of the prefix, to recognise the test's keys in Redis
 * @param options - settings to change
 */
export function testQueue(label: string, options: TestQueueOptions = {}): ExpirationQueue {
  const { redis, ...settings } = options;
  return createExpirationQueue({
    redis: { host: REDIS_HOST, port: REDIS_PORT, ...redis },
    prefix: uniqueName(label),
    publishAttempts: 3,
    backoffMs: 50,
    backoffMaxMs: 200,
    retentionSeconds: 3600,
    logger: testLogger(),
    ...settings,
  });
}

/** What {@link processExpirations} publishes to and counts in. */
export interface ProcessExpirationsOptions {
  bus: EventBus;
  metrics: ExpirationMetrics;
  /** @defaultValue a silent logger */
  logger?: Logger;
  /** @defaultValue 5 */
  concurrency?: number;
}

/**
 * Starts the queue's worker, publishing each expiration:complete to the test's bus.
 *
 * @param expirations - the queue
 * @param options - the bus, the metrics, and optionally the logger and concurrency
 */
export function processExpirations(expirations: ExpirationQueue, options: ProcessExpirationsOptions): void {
  const { bus, metrics, logger = testLogger(), concurrency = 5 } = options;
  expirations.process(
    concurrency,
    createExpirationProcessor({
      publisher: new ExpirationCompletePublisher(bus),
      expirations,
      jobOptions: expirations.jobOptions,
      metrics,
      logger,
    }),
  );
}

/**
 * A scheduler over the queue whose add of a batch (of several jobs) runs
 * `beforeAdd` first: a moment to cancel an order or stop Redis in the middle
 * of scheduling.
 *
 * @param expirations - the queue
 * @param beforeAdd - what happens just before the batch is added
 */
export function schedulerWithHook(
  expirations: ExpirationQueue,
  beforeAdd: () => Promise<void> | void,
): ExpirationScheduler {
  const queue: Pick<Queue<ExpirationJobData>, 'toKey' | 'add' | 'addBulk'> = {
    toKey: (name) => expirations.queue.toKey(name),
    add: () => Promise.reject(new Error('these tests store batches of several jobs')),
    addBulk: async (jobs) => {
      await beforeAdd();
      return expirations.queue.addBulk(jobs);
    },
  };
  return new ExpirationScheduler({
    queue,
    client: expirations.redis,
    cancellations: new Cancellations(expirations.queue, expirations.redis, 3600),
  });
}

/**
 * Waits until a job has completed, and reads it again then: a job read before
 * it completed has no return value.
 *
 * @param expirations - the queue
 * @param jobId - the job's id
 * @param what - what the wait is for, for its timeout message
 */
export function completedJob(
  expirations: ExpirationQueue,
  jobId: string,
  what = 'the job to complete',
): Promise<Job<ExpirationJobData>> {
  return waitFor(async () => {
    const job = await expirations.queue.getJob(jobId);
    return job?.finishedOn && (await job.isCompleted()) ? job : null;
  }, what);
}

/**
 * The sum of a prom-client counter over all its labels.
 *
 * @param counter - a counter of {@link ExpirationMetrics}
 */
export async function counterTotal(counter: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> {
  return (await counter.get()).values.reduce((sum, v) => sum + v.value, 0);
}
