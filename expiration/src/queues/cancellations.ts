import type { Queue } from 'bull';
import type Redis from 'ioredis';
import type { ExpirationJob, ExpirationJobData } from './expiration-job';
import { expirationJobId, legacyExpirationJobId } from './expiration-job-id';

/** What {@link Cancellations.cancel} did. */
export type CancelResult =
  /** The pending job is gone. */
  | 'removed'
  /** No job yet; the recorded cancellation stops one scheduled later. */
  | 'not-scheduled'
  /** The expiration was already published. */
  | 'already-expired'
  /** The job is running right now; the processor sees the cancellation unless it already published. */
  | 'active';

/**
 * When an order had two jobs, what its cancellation says: the one that tells
 * most about whether expiration:complete was (or may yet be) published.
 */
const CANCEL_RESULTS_BY_WEIGHT: readonly CancelResult[] = ['active', 'already-expired', 'removed', 'not-scheduled'];

/**
 * The registry of cancelled orders, and the removal of their pending jobs.
 *
 * A cancellation is recorded before anything else, and is read at both ends:
 * the scheduler stores no job for a cancelled order (its checks read
 * {@link Cancellations.key}), and the processor
 * publishes nothing for one, so a job stored or running while the order was
 * being cancelled still stays silent. Cancellations live in one sorted set
 * `<prefix>:order:expiration:cancelled`, scored by time and trimmed to the
 * retention window on each write, so its size stays bounded.
 */
export class Cancellations {
  /** The sorted set's key. */
  readonly key: string;
  private readonly retentionMs: number;

  /**
   * @param queue - the queue whose jobs are removed, and under whose prefix the set lives
   * @param client - the general Redis connection
   * @param retentionSeconds - how long a cancellation is remembered
   */
  constructor(
    private readonly queue: Pick<Queue<ExpirationJobData>, 'toKey' | 'getJob'>,
    private readonly client: Redis,
    retentionSeconds: number,
  ) {
    this.key = queue.toKey('cancelled');
    this.retentionMs = retentionSeconds * 1000;
  }

  /** Whether an order was cancelled within the retention window. */
  async isCancelled(orderId: string): Promise<boolean> {
    return (await this.client.zscore(this.key, orderId)) !== null;
  }

  /**
   * Records that an order was cancelled, then removes its pending job, an
   * earlier version's one included.
   *
   * @param orderId - the order
   * @returns what was done
   */
  async cancel(orderId: string): Promise<CancelResult> {
    const now = Date.now();
    // Record first: from here on neither a late order:created nor the
    // processor will act on this order, whatever happens to the job below.
    await this.client
      .multi()
      .zadd(this.key, now, orderId)
      .zremrangebyscore(this.key, '-inf', now - this.retentionMs)
      .exec();
    // An earlier version's job too: until the last of those has fired, an
    // order may have one (or, scheduled during a rolling upgrade, both).
    const legacyJobId = legacyExpirationJobId(orderId);
    const jobs = await Promise.all([
      this.queue.getJob(expirationJobId(orderId)),
      legacyJobId === undefined ? null : this.queue.getJob(legacyJobId),
    ]);
    const results = await Promise.all(
      jobs.map((job): Promise<CancelResult> => (job ? removePending(job) : Promise.resolve('not-scheduled'))),
    );
    return CANCEL_RESULTS_BY_WEIGHT.find((result) => results.includes(result)) ?? 'not-scheduled';
  }
}

/** Removes a job unless it has completed or is running. */
async function removePending(job: ExpirationJob): Promise<CancelResult> {
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
