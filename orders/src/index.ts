import { ConfigError, createLogger, shutdownOnSignals } from '@grider-ms-tickets/common';
import { loadOrdersConfig, type OrdersConfig } from './config';
import { startOrdersService } from './service';

/**
 * Start-up: validate the environment, then start the service and hand its one
 * shutdown routine to SIGTERM and SIGINT. Any failure exits 1.
 */
async function main(): Promise<void> {
  let config: OrdersConfig;
  try {
    config = loadOrdersConfig();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    // One message naming every bad variable, before a logger exists.
    console.error(`orders: ${err.message}`);
    process.exit(1);
  }

  const logger = createLogger({ name: 'orders', level: config.logLevel });
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection; exiting');
    process.exit(1);
  });

  try {
    const service = await startOrdersService(config, { logger, exit: (code) => process.exit(code) });
    shutdownOnSignals(service.shutdown);
    logger.info('orders service started');
  } catch (err) {
    logger.fatal({ err }, 'start-up failed');
    process.exit(1);
  }
}

void main();
