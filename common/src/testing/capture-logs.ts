import type { Logger } from 'pino';
import { createLogger } from '../logging/logger';

/** One JSON line written by a captured logger. */
export interface LogLine {
  level: string;
  msg: string;
  [field: string]: unknown;
}

/**
 * A real `createLogger` logger, at debug level, whose lines land in an array, so that tests can
 * check what a component reported.
 *
 * @param name - the logger's name
 * @returns the logger and the lines written so far
 */
export function captureLogs(name = 'test'): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    name,
    level: 'debug',
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  return { logger, lines };
}
