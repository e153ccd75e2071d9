import { createLogger, type Logger } from '@grider-ms-tickets/common';

/** One JSON line written by a captured logger. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/**
 * A real service logger, at debug level, whose lines land in an array, so that
 * tests can check what was written and at which level.
 *
 * @returns the logger and the lines written so far
 */
export function captureLogs(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    name: 'expiration',
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}
