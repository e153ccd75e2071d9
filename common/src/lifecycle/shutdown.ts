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
 * exits with the code given (0 by default). Calling it again returns the same
 * promise; the first call's code wins.
 *
 * A service whose event bus is lost for good calls it with code 1
 * (`bus.onLost((err) => void shutdown(err.message, 1))`): the exit shows as a
 * failure, and Kubernetes restarts the pod with its backoff.
 *
 * @param steps - in order: stop taking work, finish work in flight, close connections
 * @param options - logger, timeout, exit
 * @returns the routine; its first argument is logged as the reason, its second is the exit code
 */
export function createShutdown(
  steps: readonly ShutdownStep[],
  options: ShutdownOptions,
): (reason: string, exitCode?: number) => Promise<void> {
  const { logger, timeoutMs = 25_000, exit = (code: number) => process.exit(code) } = options;
  let running: Promise<void> | undefined;
  return (reason: string, exitCode = 0) => {
    running ??= (async () => {
      const log = exitCode === 0 ? logger.info.bind(logger) : logger.error.bind(logger);
      log({ reason, exitCode }, 'shutting down');
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
      logger.info({ exitCode }, 'shutdown complete');
      exit(exitCode);
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
