/**
 * The expiration service in the test's process, with the test's names and a
 * silent logger, and its clean-up. In a file of its own so that the tests
 * that do not start the service do not load it. Not part of the build.
 */
import { startExpirationService, type ExpirationService, type ExpirationServiceOptions } from '../service';
import { destroyQueue, testConfig, testLogger, type TestNames } from './helpers';

/** What a test may add to {@link startTestService}: a bus, an exit spy, and variables. */
export interface TestServiceOptions extends Partial<ExpirationServiceOptions> {
  /** Variables over {@link testConfig}'s, such as `REDIS_PORT` for a Redis of the test's own. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Starts the service on the test's names, HTTP on a port the OS picks.
 *
 * @param names - from `testNames`
 * @param options - a bus, an exit spy, a logger, variables
 */
export function startTestService(names: TestNames, options: TestServiceOptions = {}): Promise<ExpirationService> {
  const { env, logger = testLogger(), ...rest } = options;
  return startExpirationService(testConfig(names, env), { logger, ...rest });
}

/**
 * Shuts the service down and deletes its queue's keys; nothing when it never started.
 *
 * @param service - from {@link startTestService}
 */
export async function stopTestService(service: ExpirationService | undefined): Promise<void> {
  if (!service) return;
  await service.shutdown('test over');
  await destroyQueue(service.expirations);
}
