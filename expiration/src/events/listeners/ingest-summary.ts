import type { Logger } from '@grider-ms-tickets/common';
import { PeriodicSummary } from '../../periodic-summary';

/** What the listeners count between two summary lines. */
export interface IngestTally {
  /** order:created events that stored a job. */
  scheduled: number;
  /** order:created events whose order already had a job. */
  duplicates: number;
  /** order:created events whose order was already cancelled. */
  alreadyCancelled: number;
  /** order:cancelled events handled. */
  cancellations: number;
}

/**
 * The listeners' summary, shared by both: "scheduled N expirations in the last
 * second", with the duplicates and cancellations, at info, at most once a
 * second.
 *
 * @param logger - where it is written
 * @returns the summary
 */
export function ingestSummary(logger: Logger): PeriodicSummary<IngestTally> {
  return new PeriodicSummary<IngestTally>({
    logger,
    empty: () => ({ scheduled: 0, duplicates: 0, alreadyCancelled: 0, cancellations: 0 }),
    line: (t) => ({
      fields: { ...t },
      msg:
        `scheduled ${t.scheduled} expirations in the last second; ${t.duplicates} duplicates ignored, ` +
        `${t.alreadyCancelled} already cancelled, ${t.cancellations} cancellations`,
    }),
  });
}
