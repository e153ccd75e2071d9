import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import type { Counter } from 'prom-client';
import { OrdersMetrics } from '../metrics';
import { MemoryOrdersStore, newObjectId, type Order, type OrderEventSubject, type Ticket } from '../store';
import { captureLogs, type LogLine } from '@grider-ms-tickets/common/testing';

/** What the use-cases and the sweeper run on in unit tests, with helpers to arrange a test. */
export interface DomainTestKit {
  store: MemoryOrdersStore;
  bus: FakeEventBus;
  metrics: OrdersMetrics;
  logger: ReturnType<typeof captureLogs>['logger'];
  logs: LogLine[];
  /** Adds a ticket replica, as ticket:created would. */
  aTicket(): Promise<Ticket>;
  /** Adds an order for a new ticket, expiring at `expiresAt` (in a minute by default), owing `owes`. */
  anOrder(options?: { expiresAt?: Date; owes?: OrderEventSubject }): Promise<Order>;
}

/** @returns a memory store, a fake bus, fresh metrics and a captured logger */
export function domainTestKit(): DomainTestKit {
  const store = new MemoryOrdersStore();
  const { logger, lines } = captureLogs();
  const aTicket = () => store.tickets.create({ id: newObjectId(), title: 'concert', price: 20 });
  return {
    store,
    bus: new FakeEventBus(),
    metrics: new OrdersMetrics(),
    logger,
    logs: lines,
    aTicket,
    anOrder: async ({ expiresAt = new Date(Date.now() + 60_000), owes } = {}) =>
      store.orders.create({ userId: newObjectId(), expiresAt, ticket: await aTicket() }, owes),
  };
}

/**
 * @param counter - a counter of the metrics
 * @param labels - the series
 * @returns its value, 0 when the series does not exist
 */
export async function counterValue(counter: Counter<string>, labels: Record<string, string> = {}): Promise<number> {
  const { values } = await counter.get();
  const wanted = Object.entries(labels);
  return values.find((v) => wanted.every(([k, value]) => v.labels[k] === value))?.value ?? 0;
}
