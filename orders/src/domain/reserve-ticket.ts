import { Subjects } from '@grider-ms-tickets/common';
import { TicketReservedError, type Order } from '../store';
import type { DomainDependencies } from './domain-dependencies';
import { publishOwedEvents } from './publish-owed-events';

/** Who reserves which ticket, for how long. */
export interface ReserveTicketRequest {
  userId: string;
  ticketId: string;
  /** The reservation ends this long from now (`EXPIRATION_WINDOW_SECONDS`). */
  reservedForSeconds: number;
  /**
   * The id of the request that places the order: kept on the order as its
   * correlation id and sent with each of its events.
   */
  correlationId?: string;
}

/** How a reservation went. */
export type ReserveTicketOutcome =
  /** `published` is false when order:created is still owed: the sweeper publishes it. */
  { kind: 'reserved'; order: Order; published: boolean } | { kind: 'unknown-ticket' } | { kind: 'ticket-reserved' };

/**
 * Creates an order that reserves a ticket until now + `reservedForSeconds`,
 * owing its order:created in the same write, then publishes it. The order
 * keeps `correlationId`, which every event of the order carries, and the
 * "order created" log line names it next to the order id.
 *
 * The order exists whether or not the publish got through: its order:created
 * stays owed and the sweeper publishes it on a later pass, and from it the
 * expiration service schedules the expiry at the absolute `expiresAt`, so a
 * late publish does not lengthen the reservation. Should the process die
 * between the save and the publish, the same holds.
 *
 * @param deps - store, bus, logger, metrics
 * @param request - user, ticket, reservation length
 * @returns the order, or why there is none
 */
export async function reserveTicket(
  deps: DomainDependencies,
  request: ReserveTicketRequest,
): Promise<ReserveTicketOutcome> {
  const ticket = await deps.store.tickets.findById(request.ticketId);
  if (!ticket) return { kind: 'unknown-ticket' };

  const expiresAt = new Date(Date.now() + request.reservedForSeconds * 1000);
  let order: Order;
  try {
    // The store refuses a second active order for a ticket atomically,
    // so two users racing for one ticket can't both get it.
    order = await deps.store.orders.create(
      { userId: request.userId, expiresAt, ticket, correlationId: request.correlationId },
      Subjects.OrderCreated,
    );
  } catch (err) {
    if (err instanceof TicketReservedError) return { kind: 'ticket-reserved' };
    throw err;
  }
  deps.metrics.transitions.inc({ transition: 'created' });
  deps.logger.info(
    { orderId: order.id, ticketId: ticket.id, expiresAt: expiresAt.toISOString(), correlationId: order.correlationId },
    'order created',
  );

  const { ok } = await publishOwedEvents(deps, order);
  return { kind: 'reserved', order, published: ok };
}
