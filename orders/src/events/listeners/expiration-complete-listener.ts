import {
  Listener,
  Subjects,
  type EventClient,
  type EventMessage,
  type ExpirationCompleteEvent,
} from '@grider-ms-tickets/common';
import { cancelOrder } from '../../domain/cancel-order';
import type { DomainDependencies } from '../../domain/domain-dependencies';
import type { OrdersMetrics } from '../../metrics';
import type { OrdersStore } from '../../store';
import type { OrderChangeListenerOptions } from './orders-listener-options';
import { queueGroupName } from './queue-group-name';

/** Options of an {@link ExpirationCompleteListener}. */
export interface ExpirationCompleteListenerOptions extends OrderChangeListenerOptions {
  /**
   * After this many deliveries, an event for an unknown order is logged and
   * acked, and so is one whose order:cancelled could not be published (it
   * stays owed, for the sweeper).
   */
  maxDeliveries: number;
}

/**
 * Cancels an order whose reservation window has ended, unless it is complete
 * (the rules are in cancelOrder, shared with DELETE and the sweeper).
 *
 * - complete: acked, nothing else.
 * - created or awaiting payment: saved as cancelled with the order:cancelled
 *   it owes, which is then published; acked.
 * - cancelled already: what it owes is published, or order:cancelled again
 *   when it owes nothing; acked. This heals a publish that failed after the
 *   save: the course's listener published nothing on the redelivery, and the
 *   ticket stayed reserved for ever.
 * - unknown: not acked, so it comes back; after `maxDeliveries` it is logged
 *   as an error and acked. The course threw here, which killed the NATS
 *   Streaming client (nats-io/stan.js#200).
 *
 * When the publish fails, the cancel is saved and the event stays owed, so the
 * sweeper would publish it; the message is not acked all the same, because
 * its redelivery (within seconds, with backoff) publishes sooner than the next
 * sweep. After `maxDeliveries` it is acked, and the sweeper takes over. Any
 * other failure (the store, a concurrent save) throws, and the message is
 * redelivered.
 */
export class ExpirationCompleteListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  queueGroupName = queueGroupName;
  private readonly store: OrdersStore;
  private readonly metrics: OrdersMetrics;
  private readonly maxDeliveries: number;

  constructor(client: EventClient, options: ExpirationCompleteListenerOptions) {
    super(client, options);
    this.store = options.store;
    this.metrics = options.metrics;
    this.maxDeliveries = options.maxDeliveries;
  }

  async onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): Promise<void> {
    const order = await this.store.orders.findById(data.orderId);
    if (!order) {
      this.unknownOrder(data.orderId, msg);
      return;
    }
    const outcome = await cancelOrder(this.domain(), order, { reason: 'expiration', republishWhenCancelled: true });
    if (outcome.kind !== 'complete' && !outcome.published) {
      // The failure was logged and counted by the use-case; the event is owed.
      const deliveries = msg.getDeliveryCount();
      if (deliveries < this.maxDeliveries) {
        msg.nak(this.retryDelay(deliveries));
        return;
      }
      this.logger.warn(
        { orderId: order.id, deliveries },
        'order cancelled but order:cancelled still unpublished; acked, the sweeper publishes it',
      );
    }
    msg.ack();
  }

  private domain(): DomainDependencies {
    return { store: this.store, bus: this.client, logger: this.logger, metrics: this.metrics };
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
