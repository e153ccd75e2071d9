import type { ListenerOptions } from '@grider-ms-tickets/common';
import type { OrdersStore } from '../../store';

/** What the listeners of the orders service are built with. */
export interface OrdersListenerOptions extends ListenerOptions {
  store: OrdersStore;
}
