import { OrderStatus, Subjects } from '@grider-ms-tickets/common';
import { OrderCancelledPublisher } from '../events/publishers/order-cancelled-publisher';
import { OrderCreatedPublisher } from '../events/publishers/order-created-publisher';
import { orderCancelledData, orderCreatedData } from '../events/publishers/order-events';
import type { Order, PendingEvent } from '../store';
import type { DomainDependencies } from './domain-dependencies';

/** What {@link publishOwedEvents} got through. */
export interface PublishOwedResult {
  /** Whether every owed event was acknowledged by NATS. */
  ok: boolean;
  /** The events acknowledged, in the order they were sent. */
  published: PendingEvent[];
}

/**
 * Publishes the events an order owes, oldest first, and removes each from the
 * store once NATS acknowledged it.
 *
 * A failed publish is handled here, the same way for every caller: it is
 * logged at warn level and counted in `orders_event_publish_failures_total`,
 * and the event stays owed, so the sweeper publishes it on a later pass. The
 * events after it wait too: other services must see an order's events in
 * version order. This never throws for a failed publish; the caller decides
 * what its client is told.
 *
 * An event that was acknowledged but could not be removed is published again
 * later, under the same `<subject>:<id>:<version>` message id: JetStream drops
 * it within its duplicate window, and every consumer ignores a version it has
 * applied already.
 *
 * @param deps - store, bus, logger, metrics
 * @param order - the order as stored, with its pending events
 * @returns whether all got through, and which did
 */
export async function publishOwedEvents(deps: DomainDependencies, order: Order): Promise<PublishOwedResult> {
  const published: PendingEvent[] = [];
  const owed = [...order.pendingEvents].sort((a, b) => a.version - b.version);
  for (const event of owed) {
    try {
      await publishEvent(deps, order, event);
    } catch (err) {
      deps.metrics.publishFailures.inc({ subject: event.subject });
      deps.logger.warn(
        { err, orderId: order.id, subject: event.subject, version: event.version, correlationId: order.correlationId },
        'could not publish an order event; it stays owed and the sweeper will publish it',
      );
      return { ok: false, published };
    }
    published.push(event);
    try {
      await deps.store.orders.markPublished(order.id, event);
    } catch (err) {
      deps.logger.warn(
        { err, orderId: order.id, subject: event.subject, version: event.version, correlationId: order.correlationId },
        'published an order event but could not mark it so; it will be published again',
      );
    }
  }
  return { ok: true, published };
}

/**
 * Publishes one event of an order. The payload is built from the order as it
 * is now with the event's own version: the fields it carries besides the
 * status never change once the order exists (the tickets service refuses to
 * change a reserved ticket's price), and order:created always announces the
 * `created` status. Every event carries the order's correlation id (the id of
 * the request that created it) in its header, whoever publishes it: the
 * route, a listener or the sweeper.
 */
async function publishEvent(deps: DomainDependencies, order: Order, event: PendingEvent): Promise<void> {
  const atVersion = { ...order, version: event.version };
  const options = { correlationId: order.correlationId };
  if (event.subject === Subjects.OrderCreated) {
    const data = orderCreatedData({ ...atVersion, status: OrderStatus.Created });
    await new OrderCreatedPublisher(deps.bus).publish(data, options);
  } else {
    await new OrderCancelledPublisher(deps.bus).publish(orderCancelledData(atVersion), options);
  }
}
