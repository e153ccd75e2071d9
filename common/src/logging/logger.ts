import pino, { type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger } from 'pino';

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The service or component; every line carries it as `name`. */
  name: string;
  /**
   * The lowest level written.
   *
   * @defaultValue `info`
   */
  level?: LevelWithSilent;
  /** Where lines go; stdout unless given (tests pass a stream to read them). */
  destination?: DestinationStream;
}

/**
 * Makes the pino logger of a service: JSON lines on stdout with ISO times,
 * errors serialized under `err`, and nothing else in between, which is what
 * Kubernetes log collectors expect.
 *
 * @param options - name, level and destination
 * @returns the logger
 */
export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name,
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      serializers: { err: pino.stdSerializers.err },
    },
    options.destination,
  );
}

let fallback: Logger | undefined;

/**
 * The logger used by library objects that were not given one, such as a
 * course-style `Listener` built from a bare client. Silent under jest.
 *
 * @returns a shared logger named `common`
 */
export function defaultLogger(): Logger {
  fallback ??= createLogger({
    name: 'common',
    level: (process.env.LOG_LEVEL as LevelWithSilent | undefined) ?? (process.env.JEST_WORKER_ID ? 'silent' : 'info'),
  });
  return fallback;
}
