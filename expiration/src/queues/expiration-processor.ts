import type { Job } from 'bull';
import type { Logger } from 'pino';
import { isEventId, type Publisher, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import type { ExpirationMetrics } from '../metrics';
import type { ExpirationJobData, ExpirationQueue } from './expiration-queue';

/** Options of {@link createExpirationProcessor}. */
export interface ExpirationProcessorOptions {
  publisher: Pick<Publisher<ExpirationCompleteEvent>, 'publish'>;
  expirations: Pick<ExpirationQueue, 'isCancelled'>;
  metrics: ExpirationMetrics;
  logger: Logger;
  /**
   * The delay before the next try after `attemptsMade` failures, only to log it.
   * Bull computes the real one with the strategy registered on the queue.
   */
  backoff?: (attemptsMade: number) => number;
}

/** What a job ended with; Bull stores it as the job's return value. */
export type ExpirationOutcome = 'published' | 'cancelled' | 'invalid';

/**
 * Makes the job handler: it publishes expiration:complete {orderId} and
 * resolves only once NATS has acknowledged it, so the job completes only then.
 * A failed publish throws, and Bull retries the job with the queue's backoff.
 *
 * @param options - publisher, cancellation check, metrics, logger
 * @returns the handler for `queue.process`
 */
export function createExpirationProcessor(
  options: ExpirationProcessorOptions,
): (job: Job<ExpirationJobData>) => Promise<ExpirationOutcome> {
  const { publisher, expirations, metrics, logger } = options;
  return async (job) => {
    // The order id comes from the data, never from the job id, which is
    // `order:<id>` now and was the bare id for jobs of earlier versions.
    const orderId: unknown = job.data?.orderId;
    if (!isEventId(orderId)) {
      // Something other than this service queued it, or an earlier version
      // did before ids had a format: expiration:complete would be refused by
      // the schema on every try, so complete the job and say so.
      logger.error({ jobId: job.id, data: job.data }, 'bad expiration job dropped: no valid orderId');
      return 'invalid';
    }
    if (await expirations.isCancelled(orderId)) {
      metrics.cancelled.inc();
      logger.info({ orderId }, 'order was cancelled; expiration not published');
      return 'cancelled';
    }
    const attempt = job.attemptsMade + 1;
    const attempts = job.opts.attempts ?? 1;
    try {
      await publisher.publish({ orderId });
    } catch (err) {
      metrics.publishFailures.inc();
      const retrying = attempt < attempts;
      logger.warn(
        {
          orderId,
          err,
          attempt,
          attempts,
          retryInMs: retrying ? options.backoff?.(attempt) : undefined,
        },
        retrying
          ? 'publishing expiration:complete failed; will retry'
          : 'publishing expiration:complete failed; no tries left',
      );
      throw err;
    }
    // timestamp + delay is the order's expiresAt (see scheduleExpiration).
    const dueAt = job.timestamp + (job.opts.delay ?? 0);
    const latenessMs = Date.now() - dueAt;
    metrics.expirationsPublished.inc();
    metrics.lateness.observe(Math.max(0, latenessMs) / 1000);
    logger.info({ orderId, attempt, latenessMs }, 'expiration:complete published');
    return 'published';
  };
}
