import type { Logger } from 'pino';

/** One step of a shutdown, such as "close the queue". */
export interface ShutdownStep {
  name: string;
  run: () => unknown;
}

/** Options of {@link createShutdown}. */
export interface ShutdownOptions {
  logger: Logger;
  /**
   * If the steps have not finished by then, the process exits with code 1.
   * Keep it below the pod's `terminationGracePeriodSeconds`.
   *
   * @defaultValue 25000
   */
  timeoutMs?: number;
  /** Ends the process; `process.exit` unless given (tests pass a spy). */
  exit?: (code: number) => void;
}

/**
 * Builds the one shutdown routine of a service. The steps run in order, each in
 * its own try/catch so that one failure doesn't skip the rest, then the process
 * exits 0. Calling it again returns the same promise.
 *
 * @param steps - in order: stop taking work, finish work in flight, close connections
 * @param options - logger, timeout, exit
 * @returns the routine; its argument is logged as the reason
 */
export function createShutdown(
  steps: readonly ShutdownStep[],
  options: ShutdownOptions,
): (reason: string) => Promise<void> {
  const { logger, timeoutMs = 25_000, exit = (code: number) => process.exit(code) } = options;
  let running: Promise<void> | undefined;
  return (reason: string) => {
    running ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const timer = setTimeout(() => {
        logger.error({ timeoutMs }, 'shutdown timed out; exiting');
        exit(1);
      }, timeoutMs);
      timer.unref();
      for (const step of steps) {
        try {
          await step.run();
          logger.info({ step: step.name }, 'shutdown step done');
        } catch (err) {
          logger.error({ err, step: step.name }, 'shutdown step failed');
        }
      }
      clearTimeout(timer);
      logger.info('shutdown complete');
      exit(0);
    })();
    return running;
  };
}

/**
 * Runs the shutdown routine on SIGTERM and SIGINT.
 *
 * @param shutdown - from {@link createShutdown}
 */
export function shutdownOnSignals(shutdown: (reason: string) => Promise<void>): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => void shutdown(signal));
  }
}
