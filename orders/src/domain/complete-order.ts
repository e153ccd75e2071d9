import { OrderStatus } from '@grider-ms-tickets/common';
import type { Order } from '../store';
import type { DomainDependencies } from './domain-dependencies';

/** The payment that completes an order. */
export interface Payment {
  id: string;
  stripeId: string;
}

/** How a completion went. */
export type CompleteOrderOutcome =
  | { kind: 'completed'; order: Order }
  | { kind: 'already-complete' }
  /** Paid after it was cancelled: left cancelled, and logged at error level for a refund. */
  | { kind: 'cancelled' };

/**
 * Marks a paid order complete; from then on it is never cancelled. A payment
 * for a cancelled order leaves it cancelled: the payments service refuses
 * cancelled orders, so only a race gets here, and the ticket may be someone
 * else's by now; completing the order would take it from them. A person has
 * to refund that payment, hence the error log. A completion is logged at
 * info level ("order completed") with the order's correlation id.
 *
 * @param deps - store, logger, metrics
 * @param order - the order as loaded
 * @param payment - the payment
 * @param correlationId - the correlation id of the payment:created, logged
 *   when the order has none of its own (orders created before they were kept)
 * @returns what happened
 * @throws VersionConflictError when the order changed since it was loaded
 */
export async function completeOrder(
  deps: Pick<DomainDependencies, 'store' | 'logger' | 'metrics'>,
  order: Order,
  payment: Payment,
  correlationId?: string,
): Promise<CompleteOrderOutcome> {
  if (order.status === OrderStatus.Complete) return { kind: 'already-complete' };
  const logged = {
    orderId: order.id,
    paymentId: payment.id,
    correlationId: order.correlationId ?? correlationId,
  };
  if (order.status === OrderStatus.Cancelled) {
    deps.logger.error(
      { ...logged, stripeId: payment.stripeId },
      'payment for a cancelled order; left cancelled, needs a refund',
    );
    return { kind: 'cancelled' };
  }
  const completed = await deps.store.orders.save({ ...order, status: OrderStatus.Complete });
  deps.metrics.transitions.inc({ transition: 'completed' });
  deps.logger.info({ ...logged, version: completed.version }, 'order completed');
  return { kind: 'completed', order: completed };
}
