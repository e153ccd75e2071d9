import mongoose, { type Connection, type HydratedDocument, type Model } from 'mongoose';
import { OrderStatus } from '@grider-ms-tickets/common';
import { TicketExistsError } from '../errors/ticket-exists-error';
import { TicketReservedError } from '../errors/ticket-reserved-error';
import { VersionConflictError } from '../errors/version-conflict-error';
import { assertObjectId, isObjectId } from '../object-id';
import type {
  NewOrder,
  NewTicket,
  Order,
  OrderEventSubject,
  OrderRepository,
  OrdersStore,
  Ticket,
  TicketRepository,
} from '../orders-store';
import { ACTIVE_ORDER_INDEX, orderSchema, type OrderDocument } from './order-model';
import { findOverdueQuery, findOwingEventsQuery, markPublishedQuery } from './order-queries';
import { ticketSchema, type TicketDocument } from './ticket-model';

/** Options of {@link MongoOrdersStore.connect}. */
export interface MongoStoreOptions {
  /** The database; the one in the URI (or `test`) when absent. Tests give each run its own. */
  dbName?: string;
  /**
   * How long to look for a server before failing.
   *
   * @defaultValue 30000
   */
  serverSelectionTimeoutMS?: number;
}

type TicketDoc = HydratedDocument<TicketDocument>;
/** An order whose `ticket` was populated: its type still says ObjectId, as mongoose types it. */
export type OrderDoc = HydratedDocument<OrderDocument>;

/**
 * The production store: mongoose models on their own connection. Every write
 * is `save()` on a loaded document, guarded by `versionEverySave` (version-every-save.ts).
 */
export class MongoOrdersStore implements OrdersStore {
  readonly kind = 'mongo';
  readonly tickets: TicketRepository;
  readonly orders: OrderRepository;
  private readonly ticketModel: Model<TicketDocument>;
  private readonly orderModel: Model<OrderDocument>;

  private constructor(readonly connection: Connection) {
    this.ticketModel = connection.model<TicketDocument>('Ticket', ticketSchema);
    this.orderModel = connection.model<OrderDocument>('Order', orderSchema);
    this.tickets = {
      create: (ticket) => this.createTicket(ticket),
      findById: async (id) => (isObjectId(id) ? toTicketOrNull(await this.ticketModel.findById(id)) : null),
      save: (ticket) => this.saveTicket(ticket),
    };
    this.orders = {
      create: (order, owes) => this.createOrder(order, owes),
      findById: async (id) => (isObjectId(id) ? toOrderOrNull(await this.findOrderDoc(id)) : null),
      listByUser: async (userId) => {
        const docs = await this.orderModel.find({ userId }).sort({ _id: 1 }).populate('ticket');
        return docs.map((doc) => toOrder(doc));
      },
      save: (order, owes) => this.saveOrder(order, owes),
      markPublished: async (orderId, event) => {
        if (isObjectId(orderId)) await markPublishedQuery(this.orderModel, orderId, event);
      },
      findOverdue: async (before, limit) =>
        (await findOverdueQuery(this.orderModel, before, limit)).map((doc) => toOrder(doc)),
      findOwingEvents: async (before, limit) =>
        (await findOwingEventsQuery(this.orderModel, before, limit)).map((doc) => toOrder(doc)),
    };
  }

  /**
   * Connects, then makes sure the collections and indexes exist, the unique
   * index that guards reservations above all.
   *
   * @param uri - `mongodb://…`
   * @param options - database name and server selection timeout
   * @returns the store
   * @throws the driver's error when no server answers in time
   */
  static async connect(uri: string, options: MongoStoreOptions = {}): Promise<MongoOrdersStore> {
    const connection = mongoose.createConnection(uri, {
      dbName: options.dbName,
      serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 30_000,
    });
    try {
      await connection.asPromise();
      const store = new MongoOrdersStore(connection);
      await Promise.all([store.ticketModel.init(), store.orderModel.init()]);
      return store;
    } catch (err) {
      await connection.close().catch(() => undefined);
      throw err;
    }
  }

  async isReady(): Promise<boolean> {
    if (this.connection.readyState !== mongoose.ConnectionStates.connected || !this.connection.db) return false;
    const reply = await this.connection.db.admin().ping();
    return reply.ok === 1;
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  private async createTicket(ticket: NewTicket): Promise<Ticket> {
    assertObjectId(ticket.id);
    const doc = new this.ticketModel({ _id: ticket.id, title: ticket.title, price: ticket.price });
    try {
      await doc.save();
    } catch (err) {
      if (isDuplicateKey(err, '_id')) throw new TicketExistsError(ticket.id, { cause: err });
      throw err;
    }
    return toTicket(doc);
  }

  private async saveTicket(ticket: Ticket): Promise<Ticket> {
    const doc = isObjectId(ticket.id) ? await this.ticketModel.findById(ticket.id) : null;
    if (doc?.version !== ticket.version) throw new VersionConflictError('ticket', ticket.id, ticket.version);
    doc.set({ title: ticket.title, price: ticket.price });
    try {
      await doc.save();
    } catch (err) {
      if (err instanceof mongoose.Error.VersionError) {
        throw new VersionConflictError('ticket', ticket.id, ticket.version, { cause: err });
      }
      throw err;
    }
    return toTicket(doc);
  }

  private async createOrder(order: NewOrder, owes?: OrderEventSubject): Promise<Order> {
    const doc = new this.orderModel({
      userId: order.userId,
      status: OrderStatus.Created,
      expiresAt: order.expiresAt,
      ticket: order.ticket.id,
      pendingEvents: owes ? [{ subject: owes, version: 0, since: new Date() }] : [],
      ...(order.correlationId ? { correlationId: order.correlationId } : {}),
    });
    try {
      await doc.save();
    } catch (err) {
      if (isDuplicateKey(err, 'ticket')) throw new TicketReservedError(order.ticket.id, { cause: err });
      throw err;
    }
    return toOrder(await doc.populate('ticket'));
  }

  private async saveOrder(order: Order, owes?: OrderEventSubject): Promise<Order> {
    const doc = isObjectId(order.id) ? await this.findOrderDoc(order.id) : null;
    if (doc?.version !== order.version) throw new VersionConflictError('order', order.id, order.version);
    applyOrderChange(doc, order, owes);
    try {
      await doc.save();
    } catch (err) {
      if (err instanceof mongoose.Error.VersionError) {
        throw new VersionConflictError('order', order.id, order.version, { cause: err });
      }
      if (isDuplicateKey(err, 'ticket')) throw new TicketReservedError(order.ticket.id, { cause: err });
      throw err;
    }
    return toOrder(doc);
  }

  private async findOrderDoc(id: string): Promise<OrderDoc | null> {
    return this.orderModel.findById(id).populate('ticket');
  }
}

/**
 * Sets the new status on a loaded order and, when the change owes an event,
 * appends it at the version the save will give the order. The append is a
 * `push`, which mongoose sends as `$push`: the save never rewrites the
 * pending events, so one removed by `markPublished` meanwhile stays removed.
 *
 * @param doc - the order as loaded, at `order.version`
 * @param order - the order with its new status
 * @param owes - the event the change owes
 */
export function applyOrderChange(doc: OrderDoc, order: Pick<Order, 'status'>, owes?: OrderEventSubject): void {
  doc.set('status', order.status);
  if (owes) doc.pendingEvents.push({ subject: owes, version: doc.version + 1, since: new Date() });
}

/** Whether `err` is MongoDB's duplicate key error on the index over `field`. */
function isDuplicateKey(err: unknown, field: '_id' | 'ticket'): boolean {
  const e = err as { code?: number; keyPattern?: Record<string, unknown>; message?: string };
  if (e?.code !== 11000) return false;
  if (e.keyPattern) return field in e.keyPattern;
  // Old servers leave out keyPattern; the message names the index.
  return String(e.message).includes(field === 'ticket' ? ACTIVE_ORDER_INDEX : '_id_');
}

function toTicket(doc: TicketDoc): Ticket {
  return { id: doc._id.toHexString(), title: doc.title, price: doc.price, version: doc.version };
}

function toTicketOrNull(doc: TicketDoc | null): Ticket | null {
  return doc ? toTicket(doc) : null;
}

/** @param doc - an order whose `ticket` was populated */
function toOrder(doc: OrderDoc): Order {
  const ticket = doc.ticket as unknown as TicketDoc | null;
  // Tickets are never deleted, so this is a bug, not a state to handle.
  if (!ticket || !(ticket instanceof mongoose.Document))
    throw new Error(`order ${doc._id.toHexString()} refers to a ticket that does not exist`);
  return {
    id: doc._id.toHexString(),
    userId: doc.userId,
    status: doc.status,
    expiresAt: doc.expiresAt,
    version: doc.version,
    ticket: toTicket(ticket),
    pendingEvents: (doc.pendingEvents ?? []).map((p) => ({ subject: p.subject, version: p.version, since: p.since })),
    ...(doc.correlationId ? { correlationId: doc.correlationId } : {}),
  };
}

function toOrderOrNull(doc: OrderDoc | null): Order | null {
  return doc ? toOrder(doc) : null;
}
