import type { Job, JobOptions } from 'bull';
import { isCorrelationId } from '@grider-ms-tickets/common';
import { expirationJobId } from './expiration-job-id';

/**
 * What an expiration job carries. Its id is {@link expirationJobId} of the
 * order (an earlier version's jobs: the bare order id), so the order id is read
 * from here, never from the job id.
 */
export interface ExpirationJobData {
  orderId: string;
  /**
   * The id of the request that created the order (the `Ticketing-Correlation-Id`
   * header of its order:created), when it had one: logged with the job and
   * sent with its expiration:complete. At most 128 characters, so a job stays
   * small (jobs of earlier versions have none).
   */
  correlationId?: string;
}

/** A job of the `order:expiration` queue. */
export type ExpirationJob = Job<ExpirationJobData>;

/**
 * The per-job options that place one order's expiration in the queue. Bull
 * honours `timestamp` (lib/job.js `setDefaultOpts`; repeatable jobs use it)
 * although its typings leave it out.
 */
export type ExpirationJobPlacement = JobOptions & { jobId: string; delay: number; timestamp: number };

/**
 * The options under which the scheduler stores an order's job: the job id
 * `order:<orderId>`, and a `timestamp` and `delay` whose sum is `expiresAt`.
 *
 * This is half of the contract with the processor, whose other half is
 * {@link dueAtOf}. Bull fires a delayed job at `timestamp + delay`; for a
 * reservation that has already ended, the delay is 0 and the timestamp is
 * moved back to `expiresAt`, so the sum is still the moment the order expired.
 * That way the processor learns when the job was due from the job alone (to
 * measure lateness), and the payload stays `{orderId, correlationId?}`.
 *
 * @param orderId - the order
 * @param expiresAt - when its reservation ends
 * @param now - the current time in ms, read once per batch
 * @returns the job id, delay and timestamp to add the job with
 */
export function jobOptionsFor(orderId: string, expiresAt: Date, now: number): ExpirationJobPlacement {
  const due = expiresAt.getTime();
  return { jobId: expirationJobId(orderId), delay: Math.max(0, due - now), timestamp: Math.min(now, due) };
}

/**
 * When a job was due: the order's `expiresAt`, for every job stored under
 * {@link jobOptionsFor}. Retries leave `timestamp` and `opts.delay` as they
 * were, so a retried job still reports the original moment.
 *
 * @param job - a job of the queue
 * @returns the due time in ms
 */
export function dueAtOf(job: Pick<Job, 'timestamp' | 'opts'>): number {
  return job.timestamp + (job.opts.delay ?? 0);
}

/**
 * The correlation id a job carries, when it is a usable one. The job data
 * comes from Redis, where an earlier version or another writer may have left
 * anything, so it is checked before it is logged or published.
 *
 * @param job - a job of the queue
 * @returns the id, or undefined
 */
export function correlationIdOfJob(job: Pick<Job<Partial<ExpirationJobData>>, 'data'>): string | undefined {
  const correlationId: unknown = job.data?.correlationId;
  return isCorrelationId(correlationId) ? correlationId : undefined;
}
