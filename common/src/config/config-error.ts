/**
 * The environment of a service is missing or malformed. Its message names every
 * bad variable at once, so one restart is enough to fix them all.
 */
export class ConfigError extends Error {
  readonly isOperational = true;

  /** @param problems - one line per bad variable, such as `REDIS_HOST: is required` */
  constructor(readonly problems: readonly string[]) {
    super(`invalid environment:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
