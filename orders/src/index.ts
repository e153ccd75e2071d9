import { ConfigError, createLogger, shutdownOnSignals } from '@grider-ms-tickets/common';
import { loadOrdersConfig, type OrdersConfig } from './config';
import { startOrdersService } from './service';

/** Validates the env, starts the service, and shuts it down on SIGTERM and SIGINT. */
async function main(): Promise<void> {
  let config: OrdersConfig;
  try {
    config = loadOrdersConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    createLogger({ name: 'orders' }).fatal({ problems: err.problems }, err.message);
    process.exit(1);
  }
  const logger = createLogger({ name: 'orders', level: config.logLevel });
  try {
    const service = await startOrdersService(config, { logger, exit: (code) => process.exit(code) });
    shutdownOnSignals(service.shutdown);
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
