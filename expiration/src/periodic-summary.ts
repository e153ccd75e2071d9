import type { Logger } from '@grider-ms-tickets/common';

/** How often a summary line is written at most. */
export const SUMMARY_INTERVAL_MS = 1_000;

/** Options of a {@link PeriodicSummary}. */
export interface PeriodicSummaryOptions<T extends object> {
  logger: Logger;
  /** A fresh tally, all zeros. */
  empty: () => T;
  /** The line to write for a tally that counted something. */
  line: (tally: T) => { fields: Record<string, unknown>; msg: string };
  /** @defaultValue {@link SUMMARY_INTERVAL_MS} */
  intervalMs?: number;
}

/**
 * Counts what happens per event and writes it as one info line at most once
 * per interval, so that the line per event can stay at debug level: at
 * thousands of events a second, a line each costs more than the work itself.
 * Nothing is written, and no timer runs, while nothing happens.
 *
 * @typeParam T - the tally, such as `{ published: number; maxLatenessMs: number }`
 */
export class PeriodicSummary<T extends object> {
  private current?: T;
  private timer?: NodeJS.Timeout;
  private readonly intervalMs: number;

  /** @param options - logger, tally and line */
  constructor(private readonly options: PeriodicSummaryOptions<T>) {
    this.intervalMs = options.intervalMs ?? SUMMARY_INTERVAL_MS;
  }

  /**
   * The tally of the current interval, to update in place. The first call of
   * an interval starts it; its line is written when it ends.
   *
   * @returns the tally
   */
  tally(): T {
    if (!this.current) {
      this.current = this.options.empty();
      this.timer = setTimeout(() => this.flush(), this.intervalMs);
      // A summary never keeps the process alive; shutdown flushes the last one.
      this.timer.unref();
    }
    return this.current;
  }

  /** Writes the current tally now, if anything was counted; the next event starts a new interval. Shutdown calls it. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const tally = this.current;
    this.current = undefined;
    if (!tally) return;
    const { fields, msg } = this.options.line(tally);
    this.options.logger.info(fields, msg);
  }
}
