/**
 * What a measurement says about itself while it runs, for the progress line
 * of its scenario and target. Only for people watching: nothing measured
 * depends on it.
 */
export interface Progress {
  /**
   * Starts a phase of the measurement.
   *
   * @param label - what is happening, such as `storing` or `firing`
   * @param total - how many items the phase counts to; none for a phase that only takes time
   * @param done - how many are done; read each time the line is drawn, so it must be cheap
   */
  phase(label: string, total?: number, done?: () => number): void;
}

/** Progress that goes nowhere. */
export const NO_PROGRESS: Progress = { phase: () => undefined };
