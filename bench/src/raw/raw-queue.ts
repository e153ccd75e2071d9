/**
 * What the two raw Bull workers share: their environment and their queue,
 * with the expiration service's lock settings by default.
 */
import Queue from 'bull';
import { envInt, envPort, envString } from '@grider-ms-tickets/common';

/** The variables every raw worker reads; the benchmark sets them. */
export const rawQueueEnvShape = {
  REDIS_HOST: envString(),
  REDIS_PORT: envPort(6379),
  QUEUE_PREFIX: envString(),
  CONCURRENCY: envInt({ min: 1, default: 50 }),
  /** Bull's lock settings; the defaults are the service's. Set them to see what other values would do. */
  LOCK_DURATION_MS: envInt({ min: 1, default: 5_000 }),
  STALLED_INTERVAL_MS: envInt({ min: 1, default: 1_000 }),
};

/** The raw workers' queue settings, from {@link rawQueueEnvShape}. */
export interface RawQueueEnv {
  REDIS_HOST: string;
  REDIS_PORT: number;
  QUEUE_PREFIX: string;
  LOCK_DURATION_MS: number;
  STALLED_INTERVAL_MS: number;
}

/**
 * The queue, with the expiration service's lock settings by default
 * (expiration/src/queues/expiration-queue.ts: 5 s lock, stalled check every
 * second, 5 stalls allowed), copied rather than imported: the benchmark does
 * not depend on a service's internals.
 *
 * @param env - the validated environment
 * @returns the queue; call `process` on it
 */
export function openRawQueue(env: RawQueueEnv): Queue.Queue<{ orderId: string }> {
  return new Queue<{ orderId: string }>('order:expiration', {
    prefix: env.QUEUE_PREFIX,
    redis: { host: env.REDIS_HOST, port: env.REDIS_PORT },
    settings: { lockDuration: env.LOCK_DURATION_MS, stalledInterval: env.STALLED_INTERVAL_MS, maxStalledCount: 5 },
  });
}
