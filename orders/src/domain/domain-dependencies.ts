import type { EventClient, Logger } from '@grider-ms-tickets/common';
import type { OrdersMetrics } from '../metrics';
import type { OrdersStore } from '../store';

/** What the use-cases work with; the routes, the listeners and the sweeper pass their own. */
export interface DomainDependencies {
  store: OrdersStore;
  /** Where order events are published. */
  bus: EventClient;
  logger: Logger;
  metrics: OrdersMetrics;
}
