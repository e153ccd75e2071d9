import type { JobOptions } from 'bull';

/** The name of the backoff strategy registered on the queue. */
export const CAPPED_EXPONENTIAL = 'capped-exponential';

/** What {@link ExpirationJobOptions} is built from. */
export interface ExpirationJobOptionsSettings {
  /** Tries of one job's publish before it is parked as failed. */
  publishAttempts: number;
  /** The first retry's delay. */
  backoffMs: number;
  /** The longest delay between two retries. */
  backoffMaxMs: number;
  /** How long a completed job is kept. */
  retentionSeconds: number;
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
 * The options every expiration job is stored with, and its retry delays, built
 * once: the queue registers {@link ExpirationJobOptions.backoffStrategies} with
 * Bull, and the processor logs {@link ExpirationJobOptions.retryDelay} of the
 * same function, so the delay in the log is the one Bull applies.
 */
export class ExpirationJobOptions {
  /** The queue's `defaultJobOptions`. */
  readonly defaults: JobOptions;
  /**
   * The delay before the next try after `attemptsMade` failed ones: the capped
   * exponential backoff of the settings.
   */
  readonly retryDelay: (attemptsMade: number) => number;
  /** For Bull's `settings.backoffStrategies`. */
  readonly backoffStrategies: Record<string, (attemptsMade: number) => number>;

  /** @param settings - attempts, backoff and retention */
  constructor(settings: ExpirationJobOptionsSettings) {
    this.retryDelay = cappedExponentialBackoff(settings.backoffMs, settings.backoffMaxMs);
    this.backoffStrategies = { [CAPPED_EXPONENTIAL]: this.retryDelay };
    this.defaults = {
      attempts: settings.publishAttempts,
      backoff: { type: CAPPED_EXPONENTIAL },
      // Age-based retention: a completed job stays long enough for a late
      // duplicate order:created to find it (and be ignored), then Bull deletes
      // it the next time a job completes, so Redis memory stays bounded.
      removeOnComplete: { age: settings.retentionSeconds },
      // A failed job is an expiration that was not published yet, and must be
      // kept so the failed-job reviver can put it back: Bull keeps it when
      // removeOnFail is unset. It is left unset rather than set to false
      // because every option is stored in every job's hash, and a pending
      // expiration must stay under 1 KB of Redis (bench/BENCHMARKS.md).
    };
  }
}
