import {
  Listener,
  OrderStatus,
  Subjects,
  type EventClient,
  type EventMessage,
  type ExpirationCompleteEvent,
} from '@grider-ms-tickets/common';
import type { OrdersStore } from '../../store';
import { orderCancelledData } from '../publishers/order-events';
import { OrderCancelledPublisher } from '../publishers/order-cancelled-publisher';
import type { OrdersListenerOptions } from './orders-listener-options';
import { queueGroupName } from './queue-group-name';

/** Options of an {@link ExpirationCompleteListener}. */
export interface ExpirationCompleteListenerOptions extends OrdersListenerOptions {
  /** After this many deliveries, an event for an unknown order is logged and acked. */
  maxDeliveries: number;
}

/**
 * Cancels an order whose reservation window has ended, unless it is complete.
 *
 * - complete: acked, nothing else.
 * - created or awaiting payment: saved as cancelled, order:cancelled published, acked.
 * - cancelled already: order:cancelled published again, acked. This heals a
 *   publish that failed after the save: the course's listener published
 *   nothing on the redelivery, and the ticket stayed reserved for ever.
 * - unknown: not acked, so it comes back; after `maxDeliveries` it is logged
 *   as an error and acked. The course threw here, which killed the NATS
 *   Streaming client (nats-io/stan.js#200).
 *
 * Any other failure (the store, the publish, a concurrent save) throws, and
 * the message is redelivered.
 */
export class ExpirationCompleteListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  queueGroupName = queueGroupName;
  private readonly store: OrdersStore;
  private readonly maxDeliveries: number;

  constructor(client: EventClient, options: ExpirationCompleteListenerOptions) {
    super(client, options);
    this.store = options.store;
    this.maxDeliveries = options.maxDeliveries;
  }

  async onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): Promise<void> {
    const order = await this.store.orders.findById(data.orderId);
    if (!order) {
      this.unknownOrder(data.orderId, msg);
      return;
    }
    if (order.status === OrderStatus.Complete) {
      msg.ack();
      return;
    }
    const cancelled =
      order.status === OrderStatus.Cancelled
        ? order
        : await this.store.orders.save({ ...order, status: OrderStatus.Cancelled });
    await new OrderCancelledPublisher(this.client).publish(orderCancelledData(cancelled));
    msg.ack();
  }

  private unknownOrder(orderId: string, msg: EventMessage): void {
    const deliveries = msg.getDeliveryCount();
    if (deliveries >= this.maxDeliveries) {
      this.logger.error(
        { orderId, deliveries, sequence: msg.getSequence() },
        'expiration:complete for an unknown order; giving up and acking',
      );
      msg.ack();
      return;
    }
    this.logger.warn(
      { orderId, deliveries, maxDeliveries: this.maxDeliveries },
      'expiration:complete for an unknown order; it will be redelivered',
    );
    msg.nak(this.retryDelay(deliveries));
  }
}
