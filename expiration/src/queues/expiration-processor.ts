import type { Logger } from 'pino';
import { isEventId, type Publisher, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import type { ExpirationMetrics } from '../metrics';
import { PeriodicSummary } from '../periodic-summary';
import { correlationIdOfJob, dueAtOf, type ExpirationJob } from './expiration-job';
import type { ExpirationQueue } from './expiration-queue';
import type { ExpirationJobOptions } from './job-options';

/** What the processor counts between two summary lines. */
export interface FiringTally {
  published: number;
  cancelled: number;
  maxLatenessMs: number;
}

/** Options of {@link createExpirationProcessor}. */
export interface ExpirationProcessorOptions {
  publisher: Pick<Publisher<ExpirationCompleteEvent>, 'publish'>;
  expirations: Pick<ExpirationQueue, 'isCancelled'>;
  /** The queue's job options, whose retry delay is logged with a failed publish. */
  jobOptions: Pick<ExpirationJobOptions, 'retryDelay'>;
  metrics: ExpirationMetrics;
  logger: Logger;
  /**
   * Where published and cancelled expirations are counted for the summary
   * line; the service passes its own, to flush it at shutdown.
   *
   * @defaultValue {@link firingSummary} of the logger
   */
  summary?: PeriodicSummary<FiringTally>;
}

/** What a job ended with; Bull stores it as the job's return value. */
export type ExpirationOutcome = 'published' | 'cancelled' | 'invalid';

/**
 * The processor's summary: "published N expirations in the last second, max
 * lateness X ms", at info, at most once a second.
 *
 * @param logger - where it is written
 * @returns the summary
 */
export function firingSummary(logger: Logger): PeriodicSummary<FiringTally> {
  return new PeriodicSummary<FiringTally>({
    logger,
    empty: () => ({ published: 0, cancelled: 0, maxLatenessMs: 0 }),
    line: (t) => ({
      fields: { ...t },
      msg:
        `published ${t.published} expirations in the last second, max lateness ${t.maxLatenessMs} ms` +
        (t.cancelled > 0 ? `; ${t.cancelled} skipped as cancelled` : ''),
    }),
  });
}

/**
 * Makes the job handler. Per job it does only what it must: check that the
 * order was not cancelled (one ZSCORE), publish expiration:complete {orderId}
 * (with the job's correlation id in its header) and wait for NATS's ack, so
 * the job completes only then. A failed publish
 * throws, and Bull retries the job with the queue's backoff. Everything else is
 * built once, here; the line per job is at debug level, and a summary is
 * written at info once a second.
 *
 * @param options - publisher, cancellation check, job options, metrics, logger
 * @returns the handler for `queue.process`
 */
export function createExpirationProcessor(
  options: ExpirationProcessorOptions,
): (job: ExpirationJob) => Promise<ExpirationOutcome> {
  const { publisher, expirations, jobOptions, metrics, logger } = options;
  const summary = options.summary ?? firingSummary(logger);
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
    const correlationId = correlationIdOfJob(job);
    if (await expirations.isCancelled(orderId)) {
      metrics.cancelled.inc();
      summary.tally().cancelled++;
      logger.debug({ orderId, correlationId }, 'order was cancelled; expiration not published');
      return 'cancelled';
    }
    const attempt = job.attemptsMade + 1;
    try {
      await publisher.publish({ orderId }, { correlationId });
    } catch (err) {
      metrics.publishFailures.inc();
      const attempts = job.opts.attempts ?? 1;
      const retrying = attempt < attempts;
      logger.warn(
        {
          orderId,
          correlationId,
          err,
          attempt,
          attempts,
          retryInMs: retrying ? jobOptions.retryDelay(attempt) : undefined,
        },
        retrying
          ? 'publishing expiration:complete failed; will retry'
          : 'publishing expiration:complete failed; no tries left',
      );
      throw err;
    }
    const latenessMs = Date.now() - dueAtOf(job);
    metrics.expirationsPublished.inc();
    metrics.lateness.observe(Math.max(0, latenessMs) / 1000);
    const tally = summary.tally();
    tally.published++;
    tally.maxLatenessMs = Math.max(tally.maxLatenessMs, latenessMs);
    logger.debug({ orderId, correlationId, attempt, latenessMs }, 'expiration:complete published');
    return 'published';
  };
}
