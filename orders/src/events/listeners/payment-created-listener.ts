import {
  Listener,
  correlationIdOf,
  Subjects,
  type EventClient,
  type EventMessage,
  type PaymentCreatedEvent,
} from '@grider-ms-tickets/common';
import { completeOrder } from '../../domain/complete-order';
import type { OrdersMetrics } from '../../metrics';
import type { OrdersStore } from '../../store';
import type { OrderChangeListenerOptions } from './orders-listener-options';
import { queueGroupName } from './queue-group-name';
import { UnknownOrderError } from './unknown-order-error';

/**
 * Marks a paid order complete; a complete order is never cancelled. The rules,
 * a payment for a cancelled order included, are in completeOrder.
 */
export class PaymentCreatedListener extends Listener<PaymentCreatedEvent> {
  subject: Subjects.PaymentCreated = Subjects.PaymentCreated;
  queueGroupName = queueGroupName;
  private readonly store: OrdersStore;
  private readonly metrics: OrdersMetrics;

  constructor(client: EventClient, options: OrderChangeListenerOptions) {
    super(client, options);
    this.store = options.store;
    this.metrics = options.metrics;
  }

  async onMessage(data: PaymentCreatedEvent['data'], msg: EventMessage): Promise<void> {
    const order = await this.store.orders.findById(data.orderId);
    // Retried with backoff by the base class, then dead-lettered: a payment
    // must never be dropped silently.
    if (!order) throw new UnknownOrderError(data.orderId);
    const deps = { store: this.store, logger: this.logger, metrics: this.metrics };
    await completeOrder(deps, order, { id: data.id, stripeId: data.stripeId }, correlationIdOf(msg));
    msg.ack();
  }
}
