import type { Order, OrdersStore } from '../store';

/**
 * A view of a store whose order reads and saves take a random 0 to `maxLagMs`
 * milliseconds, as the round trips to a database server do. The memory store
 * answers within the same tick, so two handlers in one process never get
 * between each other's read and save; with this lag they do, as two replicas
 * on one MongoDB do, and the version check has races to settle.
 *
 * A read returns the order as it was when read, then waits; a save waits,
 * then writes: the stale read a replica acts on.
 *
 * @param store - the store every view shares
 * @param maxLagMs - the longest lag of one call
 * @returns a store over the same records
 */
export function laggingStore(store: OrdersStore, maxLagMs: number): OrdersStore {
  const lag = () => new Promise<void>((resolve) => setTimeout(resolve, Math.random() * maxLagMs));
  return {
    kind: store.kind,
    tickets: store.tickets,
    orders: {
      ...store.orders,
      findById: async (id: string): Promise<Order | null> => {
        const order = await store.orders.findById(id);
        await lag();
        return order;
      },
      save: async (...args: Parameters<OrdersStore['orders']['save']>): Promise<Order> => {
        await lag();
        return store.orders.save(...args);
      },
    },
    isReady: () => store.isReady(),
    close: () => store.close(),
  };
}
