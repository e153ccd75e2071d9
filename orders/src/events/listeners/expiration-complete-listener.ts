import {
  DEFAULT_MAX_DELIVERIES,
  Listener,
  correlationIdOf,
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
import { UnknownOrderError } from './unknown-order-error';

/** Options of an {@link ExpirationCompleteListener}. */
export type ExpirationCompleteListenerOptions = OrderChangeListenerOptions;

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
 * - unknown: throws {@link UnknownOrderError}; the base class retries it with
 *   backoff and dead-letters it after the last delivery. (The course threw
 *   too, but its throw escaped and killed the NATS Streaming client,
 *   nats-io/stan.js#200.)
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
  /** The same limit the base class applies (`EVENT_MAX_DELIVERIES`). */
  private readonly maxDeliveries: number;

  constructor(client: EventClient, options: ExpirationCompleteListenerOptions) {
    super(client, options);
    this.store = options.store;
    this.metrics = options.metrics;
    this.maxDeliveries = options.maxDeliveries ?? DEFAULT_MAX_DELIVERIES;
  }

  async onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): Promise<void> {
    const order = await this.store.orders.findById(data.orderId);
    // Thrown, so the base class retries it with backoff and, past the last
    // delivery, dead-letters it: an operator can replay it once the order exists.
    if (!order) throw new UnknownOrderError(data.orderId);
    const outcome = await cancelOrder(this.domain(), order, {
      reason: 'expiration',
      republishWhenCancelled: true,
      correlationId: correlationIdOf(msg),
    });
    if (outcome.kind !== 'complete' && !outcome.published) {
      // The failure was logged and counted by the use-case; the event is owed.
      const deliveries = msg.getDeliveryCount();
      if (deliveries < this.maxDeliveries) {
        msg.nak(this.retryDelay(deliveries));
        return;
      }
      this.logger.warn(
        { ...this.logFieldsOf(msg), orderId: order.id, correlationId: order.correlationId ?? correlationIdOf(msg) },
        'order cancelled but order:cancelled still unpublished; acked, the sweeper publishes it',
      );
    }
    msg.ack();
  }

  private domain(): DomainDependencies {
    return { store: this.store, bus: this.client, logger: this.logger, metrics: this.metrics };
  }
}
