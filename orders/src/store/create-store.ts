import type { Logger } from '@grider-ms-tickets/common';
import type { OrdersConfig } from '../config';
import { MemoryOrdersStore } from './memory/memory-store';
import { MongoOrdersStore } from './mongo/mongo-store';
import type { OrdersStore } from './orders-store';

/**
 * Opens the store the config names: MongoDB, or memory with a warning that
 * nothing survives a restart.
 *
 * @param config - `config.store`
 * @param logger - where the warning goes
 * @returns the connected store
 * @throws the driver's error when MongoDB can't be reached
 */
export async function createStore(config: OrdersConfig['store'], logger: Logger): Promise<OrdersStore> {
  if (config.kind === 'memory') {
    logger.warn('ORDERS_STORE=memory: orders and tickets live in this process only; nothing is durable');
    return new MemoryOrdersStore();
  }
  const store = await MongoOrdersStore.connect(config.uri);
  logger.info('connected to MongoDB');
  return store;
}
