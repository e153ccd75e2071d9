import type { Queue } from 'bull';
import type Redis from 'ioredis';
import type { Logger } from 'pino';
import { correlationIdOfJob, type ExpirationJobData } from './expiration-job';

/**
 * Puts failed jobs back in the queue. A job fails for good only when all its
 * publish attempts failed (a NATS outage longer than the whole backoff) or it
 * stalled too often; either way its expiration was never published, so it must
 * not sit in `failed` for ever. Run at start-up, and by a sweep while the bus
 * is connected.
 */
export class FailedJobReviver {
  /**
   * @param queue - the Bull queue
   * @param client - the general Redis connection
   * @param logger - where each revival is logged
   */
  constructor(
    private readonly queue: Pick<Queue<ExpirationJobData>, 'getFailed' | 'toKey'>,
    private readonly client: Redis,
    private readonly logger: Logger,
  ) {}

  /**
   * Puts every failed job back, with fresh attempts.
   *
   * @returns how many were put back
   */
  async reviveAll(): Promise<number> {
    const failed = await this.queue.getFailed();
    let revived = 0;
    for (const job of failed) {
      try {
        // Bull's retry() keeps attemptsMade, so a retried job would get one
        // try only; give it the full budget again.
        await this.client.hset(this.queue.toKey(String(job.id)), 'attemptsMade', 0);
        await job.retry();
        revived++;
        this.logger.info(
          { orderId: job.data.orderId, correlationId: correlationIdOfJob(job) },
          'retrying a failed expiration',
        );
      } catch (err) {
        this.logger.warn(
          { err, orderId: job.data.orderId, correlationId: correlationIdOfJob(job) },
          'could not retry a failed expiration',
        );
      }
    }
    return revived;
  }

  /**
   * Runs {@link FailedJobReviver.reviveAll} every `intervalMs` while
   * `shouldRun()` says so (the bus is connected), one sweep at a time.
   *
   * @param intervalMs - the time between sweeps
   * @param shouldRun - whether a sweep may start now
   * @returns stops the sweeps
   */
  startSweep(intervalMs: number, shouldRun: () => boolean): () => void {
    let running = false;
    const timer = setInterval(() => {
      if (running || !shouldRun()) return;
      running = true;
      this.reviveAll()
        .catch((err: unknown) => this.logger.warn({ err }, 'failed-job sweep failed'))
        .finally(() => {
          running = false;
        });
    }, intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
