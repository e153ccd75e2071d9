/**
 * The one line a fault scenario prints at the end: what it proves, with the
 * figures of the run, and whether every check of it passed, such as
 *
 *   [faults] poison: a poison message on every listener ... — ok
 *
 * Each test of the scenario is wrapped with {@link ScenarioVerdict.check}, so
 * the line says `ok` only when all of them passed.
 */
export class ScenarioVerdict {
  private checks = 0;
  private passed = 0;
  private claim?: string;

  /** @param tag - the scenario's short name, such as `poison` */
  constructor(private readonly tag: string) {}

  /**
   * Wraps a test body, which counts as passed when it returns without throwing.
   *
   * @param body - the assertions of one test
   * @returns the function to give to `it`
   */
  check(body: () => void | Promise<void>): () => Promise<void> {
    this.checks++;
    return async () => {
      await body();
      this.passed++;
    };
  }

  /**
   * Says what the run showed, once it is known.
   *
   * @param text - one sentence, with the run's figures
   */
  proves(text: string): void {
    this.claim = text;
  }

  /** The scenario's line: its claim, then `ok` or how many checks failed. */
  line(): string {
    if (this.claim === undefined) return `[faults] ${this.tag}: the scenario did not complete — FAILED`;
    const failed = this.checks - this.passed;
    const outcome = failed === 0 ? 'ok' : `FAILED (${failed} of ${this.checks} checks)`;
    return `[faults] ${this.tag}: ${this.claim} — ${outcome}`;
  }
}

/**
 * What a scenario does with a wait that timed out: it says so and goes on, so
 * that its checks then show what is missing and what the services logged,
 * rather than a bare timeout.
 *
 * @param tag - the scenario's short name
 * @returns a handler for the wait's rejection
 */
export function goOnAfterTimeout(tag: string): (err: Error) => void {
  return (err) => console.warn(`[faults] ${tag}: ${err.message}; going on to the checks`);
}
