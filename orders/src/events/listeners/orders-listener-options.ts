import type { ListenerOptions } from '@grider-ms-tickets/common';
import type { OrdersMetrics } from '../../metrics';
import type { OrdersStore } from '../../store';

/** What the listeners of the orders service are built with. */
export interface OrdersListenerOptions extends ListenerOptions {
  store: OrdersStore;
}

/** What the listeners that change orders, through the domain use-cases, are built with. */
export interface OrderChangeListenerOptions extends OrdersListenerOptions {
  /** Where the use-cases count state changes and failed publishes. */
  metrics: OrdersMetrics;
}
