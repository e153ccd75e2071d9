import {
  Listener,
  OrderStatus,
  Subjects,
  type EventClient,
  type EventMessage,
  type PaymentCreatedEvent,
} from '@grider-ms-tickets/common';
import type { OrdersStore } from '../../store';
import type { OrdersListenerOptions } from './orders-listener-options';
import { queueGroupName } from './queue-group-name';

/** Marks a paid order complete; a complete order is never cancelled. */
export class PaymentCreatedListener extends Listener<PaymentCreatedEvent> {
  subject: Subjects.PaymentCreated = Subjects.PaymentCreated;
  queueGroupName = queueGroupName;
  private readonly store: OrdersStore;

  constructor(client: EventClient, options: OrdersListenerOptions) {
    super(client, options);
    this.store = options.store;
  }

  async onMessage(data: PaymentCreatedEvent['data'], msg: EventMessage): Promise<void> {
    const order = await this.store.orders.findById(data.orderId);
    if (!order) {
      const deliveries = msg.getDeliveryCount();
      this.logger.warn({ orderId: data.orderId, deliveries }, 'payment for an unknown order; it will be redelivered');
      msg.nak(this.retryDelay(deliveries));
      return;
    }
    if (order.status === OrderStatus.Cancelled) {
      // The payments service refuses cancelled orders, so only a race gets
      // here, and the ticket may be someone else's by now: completing the
      // order would take it from them. A person has to refund this payment.
      this.logger.error(
        { orderId: order.id, paymentId: data.id, stripeId: data.stripeId },
        'payment for a cancelled order; left cancelled, needs a refund',
      );
    } else if (order.status !== OrderStatus.Complete) {
      await this.store.orders.save({ ...order, status: OrderStatus.Complete });
    }
    msg.ack();
  }
}
