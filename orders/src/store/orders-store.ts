import type { OrderStatus } from '@grider-ms-tickets/common';

/** The orders service's replica of a ticket, kept up to date by ticket events. */
export interface Ticket {
  id: string;
  title: string;
  price: number;
  /** Mirrors the ticket's version in the tickets service. */
  version: number;
}

/** An order, always read together with the ticket it reserves. */
export interface Order {
  id: string;
  userId: string;
  status: OrderStatus;
  expiresAt: Date;
  /** Incremented by every save; events about the order carry it. */
  version: number;
  ticket: Ticket;
}

/** What it takes to create an order. */
export interface NewOrder {
  userId: string;
  expiresAt: Date;
  ticket: Ticket;
}

/** The new replica of a ticket, from ticket:created. */
export interface NewTicket {
  /** A 24-digit hex ObjectId, as the tickets service makes them. */
  id: string;
  title: string;
  price: number;
}

/**
 * The ticket replicas.
 *
 * Every write goes through `create` or the version-checked `save`; there is
 * no other update path, so no write can skip the version check.
 */
export interface TicketRepository {
  /**
   * Adds the replica of a new ticket, with the id the tickets service gave it, at version 0.
   *
   * @throws TicketExistsError when a ticket with that id exists
   * @throws TypeError when the id is not a 24-digit hex ObjectId
   */
  create(ticket: NewTicket): Promise<Ticket>;
  /** @returns the ticket, or null when there is none with that id (or the id is malformed) */
  findById(id: string): Promise<Ticket | null>;
  /**
   * Writes the title and price, if the stored version is still `ticket.version`,
   * and increments the version, even when nothing else changed.
   *
   * @returns the ticket as stored, at `ticket.version + 1`
   * @throws VersionConflictError when the stored version differs or the ticket is gone
   */
  save(ticket: Ticket): Promise<Ticket>;
}

/**
 * The orders. A ticket is reserved while it has an order that is not
 * cancelled; the store enforces that at most one such order exists per ticket,
 * atomically, so two users racing for one ticket can't both get it.
 */
export interface OrderRepository {
  /**
   * Creates an order for the ticket, with status `created`, at version 0.
   *
   * @throws TicketReservedError when the ticket already has an order that is not cancelled
   */
  create(order: NewOrder): Promise<Order>;
  /** @returns the order with its ticket, or null when there is none (or the id is malformed) */
  findById(id: string): Promise<Order | null>;
  /** @returns the user's orders with their tickets, oldest first */
  listByUser(userId: string): Promise<Order[]>;
  /**
   * Writes the status (the only field that changes after creation), if the
   * stored version is still `order.version`, and increments the version.
   *
   * @returns the order as stored, at `order.version + 1`
   * @throws VersionConflictError when the stored version differs or the order is gone
   * @throws TicketReservedError when the new status would make a second order reserve the ticket
   */
  save(order: Order): Promise<Order>;
}

/**
 * The data-access contract of the orders service. Two implementations exist,
 * chosen by `ORDERS_STORE`: `mongo` (production) and `memory` (nothing is
 * durable; for machines without MongoDB). Both pass `store.contract.ts`.
 */
export interface OrdersStore {
  readonly kind: 'mongo' | 'memory';
  readonly tickets: TicketRepository;
  readonly orders: OrderRepository;
  /** Whether the store answers right now (the readiness probe). */
  isReady(): Promise<boolean>;
  /** Closes the connection. Safe to call twice. */
  close(): Promise<void>;
}
