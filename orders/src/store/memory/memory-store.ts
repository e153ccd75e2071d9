import { OrderStatus } from '@grider-ms-tickets/common';
import { TicketExistsError } from '../errors/ticket-exists-error';
import { TicketReservedError } from '../errors/ticket-reserved-error';
import { VersionConflictError } from '../errors/version-conflict-error';
import { assertObjectId, newObjectId } from '../object-id';
import {
  UNPAID_STATUSES,
  type NewOrder,
  type NewTicket,
  type Order,
  type OrderEventSubject,
  type OrderRepository,
  type OrdersStore,
  type PendingEvent,
  type PublishedEvent,
  type Ticket,
  type TicketRepository,
} from '../orders-store';

interface StoredOrder {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: Date;
  version: number;
  ticketId: string;
  pendingEvents: PendingEvent[];
  correlationId?: string;
}

/**
 * The in-memory store: the same behaviour as the MongoDB store, optimistic
 * concurrency and the one-active-order-per-ticket rule included, and nothing
 * durable. Every method checks and writes within one synchronous step, which
 * is what makes it atomic. Records are copied in and out, so a caller that
 * mutates what it got back changes nothing until it saves.
 */
export class MemoryOrdersStore implements OrdersStore {
  readonly kind = 'memory';
  private readonly ticketRecords = new Map<string, Ticket>();
  private readonly orderRecords = new Map<string, StoredOrder>();

  readonly tickets: TicketRepository = {
    create: async (ticket: NewTicket) => {
      assertObjectId(ticket.id);
      if (this.ticketRecords.has(ticket.id)) throw new TicketExistsError(ticket.id);
      const stored: Ticket = { id: ticket.id, title: ticket.title, price: ticket.price, version: 0 };
      this.ticketRecords.set(stored.id, stored);
      return { ...stored };
    },
    findById: async (id: string) => {
      const stored = this.ticketRecords.get(id);
      return stored ? { ...stored } : null;
    },
    save: async (ticket: Ticket) => {
      const stored = this.ticketRecords.get(ticket.id);
      if (stored?.version !== ticket.version) {
        throw new VersionConflictError('ticket', ticket.id, ticket.version);
      }
      stored.title = ticket.title;
      stored.price = ticket.price;
      stored.version += 1;
      return { ...stored };
    },
  };

  readonly orders: OrderRepository = {
    create: async (order: NewOrder, owes?: OrderEventSubject) => {
      this.assertNotReserved(order.ticket.id);
      const stored: StoredOrder = {
        id: newObjectId(),
        userId: order.userId,
        status: OrderStatus.Created,
        expiresAt: new Date(order.expiresAt),
        version: 0,
        ticketId: order.ticket.id,
        pendingEvents: owes ? [{ subject: owes, version: 0, since: new Date() }] : [],
        ...(order.correlationId ? { correlationId: order.correlationId } : {}),
      };
      this.orderRecords.set(stored.id, stored);
      return this.view(stored);
    },
    findById: async (id: string) => {
      const stored = this.orderRecords.get(id);
      return stored ? this.view(stored) : null;
    },
    listByUser: async (userId: string) =>
      [...this.orderRecords.values()].filter((o) => o.userId === userId).map((o) => this.view(o)),
    save: async (order: Order, owes?: OrderEventSubject) => {
      const stored = this.orderRecords.get(order.id);
      if (stored?.version !== order.version) {
        throw new VersionConflictError('order', order.id, order.version);
      }
      if (stored.status === OrderStatus.Cancelled && order.status !== OrderStatus.Cancelled) {
        this.assertNotReserved(stored.ticketId);
      }
      stored.status = order.status;
      stored.version += 1;
      if (owes) stored.pendingEvents.push({ subject: owes, version: stored.version, since: new Date() });
      return this.view(stored);
    },
    markPublished: async (orderId: string, event: PublishedEvent) => {
      const stored = this.orderRecords.get(orderId);
      if (!stored) return;
      stored.pendingEvents = stored.pendingEvents.filter(
        (p) => p.subject !== event.subject || p.version !== event.version,
      );
    },
    findOverdue: async (before: Date, limit: number) =>
      [...this.orderRecords.values()]
        .filter((o) => UNPAID_STATUSES.includes(o.status) && o.expiresAt < before)
        .sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime())
        .slice(0, limit)
        .map((o) => this.view(o)),
    findOwingEvents: async (before: Date, limit: number) =>
      [...this.orderRecords.values()]
        .filter((o) => o.pendingEvents.some((p) => p.since < before))
        .sort((a, b) => oldestPending(a) - oldestPending(b))
        .slice(0, limit)
        .map((o) => this.view(o)),
  };

  async isReady(): Promise<boolean> {
    return true;
  }

  async close(): Promise<void> {}

  private assertNotReserved(ticketId: string): void {
    for (const o of this.orderRecords.values()) {
      if (o.ticketId === ticketId && o.status !== OrderStatus.Cancelled) throw new TicketReservedError(ticketId);
    }
  }

  private view(stored: StoredOrder): Order {
    const ticket = this.ticketRecords.get(stored.ticketId);
    // Tickets are never deleted, so this is a bug, not a state to handle.
    if (!ticket) throw new Error(`order ${stored.id} refers to ticket ${stored.ticketId}, which does not exist`);
    return {
      id: stored.id,
      userId: stored.userId,
      status: stored.status,
      expiresAt: new Date(stored.expiresAt),
      version: stored.version,
      ticket: { ...ticket },
      pendingEvents: stored.pendingEvents.map((p) => ({ ...p, since: new Date(p.since) })),
      ...(stored.correlationId ? { correlationId: stored.correlationId } : {}),
    };
  }
}

/** When the order's oldest pending event became pending, in ms since the epoch. */
function oldestPending(order: StoredOrder): number {
  return Math.min(...order.pendingEvents.map((p) => p.since.getTime()));
}
