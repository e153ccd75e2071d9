import { prettyFactory } from 'pino-pretty';

/**
 * Splits a byte stream into lines. Pino writes one JSON object per line, but a
 * pipe may cut a line anywhere.
 */
export class LineSplitter {
  private rest = '';

  /** @param onLine - receives each complete line, without its newline */
  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: string): void {
    const parts = (this.rest + chunk).split(/\r?\n/);
    this.rest = parts.pop() ?? '';
    for (const line of parts) this.onLine(line);
  }

  /** Hands over a last line that had no newline. */
  end(): void {
    if (this.rest) this.onLine(this.rest);
    this.rest = '';
  }
}

/** Options of {@link createLogFormatter}. */
export interface LogFormatterOptions {
  /** Colours for levels. */
  color: boolean;
}

/**
 * Turns a service's pino JSON line into readable text with pino-pretty: time,
 * level, message, then the other fields on one line. Lines that are not pino
 * JSON (tsx's restart notices, a stack trace printed before the logger exists)
 * pass through unchanged.
 *
 * @param options - colours
 * @returns the formatter; its result may span several lines (an `err` field does)
 */
export function createLogFormatter(options: LogFormatterOptions): (line: string) => string[] {
  const pretty = prettyFactory({
    colorize: options.color,
    translateTime: 'SYS:HH:MM:ss.l',
    // The prefix already names the service.
    ignore: 'pid,hostname,name',
    singleLine: true,
  });
  return (line) => {
    if (!line.startsWith('{')) return [line];
    try {
      const parsed = JSON.parse(line) as { level?: unknown; msg?: unknown };
      if (parsed.level === undefined) return [line];
      return pretty(parsed).replace(/\n$/, '').split('\n');
    } catch {
      return [line];
    }
  };
}
