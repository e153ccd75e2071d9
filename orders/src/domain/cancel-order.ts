import { OrderStatus, Subjects } from '@grider-ms-tickets/common';
import type { Transition } from '../metrics';
import type { Order } from '../store';
import type { DomainDependencies } from './domain-dependencies';
import { publishOwedEvents } from './publish-owed-events';

/** Who cancels: the expiration service, the user, or the sweeper. */
export type CancelReason = 'expiration' | 'user' | 'sweep';

const TRANSITION: Record<CancelReason, Transition> = {
  expiration: 'cancelled_by_expiration',
  user: 'cancelled_by_user',
  sweep: 'cancelled_by_sweep',
};

/** Options of {@link cancelOrder}. */
export interface CancelOrderOptions {
  reason: CancelReason;
  /**
   * For an order cancelled already that owes nothing, publish order:cancelled
   * again at its version. The expiration listener asks for it: orders
   * cancelled before the store recorded owed events had no other way to heal
   * a lost publish. Consumers ignore a version they have applied.
   *
   * @defaultValue false
   */
  republishWhenCancelled?: boolean;
  /**
   * Whether to publish right after the save. False saves the cancel with the
   * event it owes and leaves the publish to the sweeper's next pass: the
   * sweeper's choice once NATS has failed in a pass, so that it goes on
   * freeing tickets without waiting for a publish timeout per order.
   *
   * @defaultValue true
   */
  publish?: boolean;
  /**
   * The correlation id of what asks for the cancel (the header of an
   * expiration:complete), logged when the order has none of its own: orders
   * created before correlation ids were kept.
   *
   * @defaultValue none
   */
  correlationId?: string;
}

/** How a cancellation went. `published` is false when an event is still owed: the sweeper publishes it. */
export type CancelOrderOutcome =
  | { kind: 'cancelled'; order: Order; published: boolean }
  | { kind: 'already-cancelled'; order: Order; published: boolean }
  /** A paid order is never cancelled. Nothing was written or published. */
  | { kind: 'complete' };

/**
 * Cancels an order, which frees its ticket. The one place of the rules:
 *
 * - a complete (paid) order is never cancelled;
 * - a cancel is saved (version-checked, so the version goes up by one)
 *   together with the order:cancelled it owes at that new version, which is
 *   then published (see {@link publishOwedEvents} for a failed publish);
 * - an order cancelled already is not saved again; what it still owes is published.
 *
 * Each cancel is logged at info level ("order cancelled") with the order id,
 * who cancelled it, and the order's correlation id, whatever the path.
 *
 * @param deps - store, bus, logger, metrics
 * @param order - the order as loaded
 * @param options - who cancels
 * @returns what happened
 * @throws VersionConflictError when the order changed since it was loaded
 *   (a payment, the user, the expiration listener or another replica's sweeper
 *   got there first): load it again and decide again
 */
export async function cancelOrder(
  deps: DomainDependencies,
  order: Order,
  options: CancelOrderOptions,
): Promise<CancelOrderOutcome> {
  if (order.status === OrderStatus.Complete) return { kind: 'complete' };

  if (order.status === OrderStatus.Cancelled) {
    const republish = order.pendingEvents.length === 0 && options.republishWhenCancelled;
    const { ok } = await publishOwedEvents(deps, republish ? owingItsCancelAgain(order) : order);
    return { kind: 'already-cancelled', order, published: ok };
  }

  const cancelled = await deps.store.orders.save({ ...order, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);
  deps.metrics.transitions.inc({ transition: TRANSITION[options.reason] });
  deps.logger.info(
    {
      orderId: cancelled.id,
      reason: options.reason,
      version: cancelled.version,
      correlationId: cancelled.correlationId ?? options.correlationId,
    },
    'order cancelled',
  );
  if (options.publish === false) return { kind: 'cancelled', order: cancelled, published: false };
  const { ok } = await publishOwedEvents(deps, cancelled);
  return { kind: 'cancelled', order: cancelled, published: ok };
}

/** The cancelled order as if it still owed its order:cancelled, at its current version. */
function owingItsCancelAgain(order: Order): Order {
  return { ...order, pendingEvents: [{ subject: Subjects.OrderCancelled, version: order.version, since: new Date() }] };
}
