import type { EventBus, Logger } from '@grider-ms-tickets/common';
import type { OrdersConfig } from '../config';
import type { OrdersMetrics } from '../metrics';
import type { OrdersStore } from '../store';

/** What the routes are built with. */
export interface RouteDependencies {
  store: OrdersStore;
  bus: EventBus;
  config: Pick<OrdersConfig, 'jwtKey' | 'jwtMaxAgeSeconds' | 'trustProxyHops' | 'expirationWindowSeconds'>;
  logger: Logger;
  metrics: OrdersMetrics;
}
