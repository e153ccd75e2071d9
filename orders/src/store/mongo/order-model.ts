import { OrderStatus, Subjects } from '@grider-ms-tickets/common';
import { Schema, type Types } from 'mongoose';
import type { OrderEventSubject } from '../orders-store';
import { versionEverySave } from './version-every-save';

/** An event an order owes (see `PendingEvent`), as MongoDB stores it. */
export interface PendingEventDocument {
  subject: OrderEventSubject;
  version: number;
  since: Date;
}

/** An order as MongoDB stores it. */
export interface OrderDocument {
  _id: Types.ObjectId;
  userId: string;
  status: OrderStatus;
  expiresAt: Date;
  ticket: Types.ObjectId;
  version: number;
  pendingEvents: PendingEventDocument[];
  /** Absent on orders created before it was kept. */
  correlationId?: string;
}

/** The unique index that lets a ticket have only one order that is not cancelled. */
export const ACTIVE_ORDER_INDEX = 'one_active_order_per_ticket';

const ACTIVE_STATUSES = Object.values(OrderStatus).filter((s) => s !== OrderStatus.Cancelled);

const pendingEventSchema = new Schema<PendingEventDocument>(
  {
    subject: { type: String, required: true, enum: [Subjects.OrderCreated, Subjects.OrderCancelled] },
    version: { type: Number, required: true },
    since: { type: Date, required: true },
  },
  // Matched by subject and version when removed; an _id would only grow the document.
  { _id: false },
);

export const orderSchema = new Schema<OrderDocument>(
  {
    userId: { type: String, required: true },
    status: { type: String, required: true, enum: Object.values(OrderStatus), default: OrderStatus.Created },
    expiresAt: { type: Date, required: true },
    ticket: { type: Schema.Types.ObjectId, ref: 'Ticket', required: true },
    // Orders saved before events were owed have no such field; mongoose reads it as [].
    pendingEvents: { type: [pendingEventSchema], default: [] },
    // The id of the request that created the order; optional, so older orders read as they are.
    correlationId: { type: String, required: false },
  },
  { versionKey: 'version' },
);
orderSchema.plugin(versionEverySave);
orderSchema.index({ userId: 1 });
// Two users racing for one ticket both pass a "is it reserved?" read; this
// index lets only one insert through. `$in` in a partial filter needs MongoDB 6.0.
orderSchema.index(
  { ticket: 1 },
  { name: ACTIVE_ORDER_INDEX, unique: true, partialFilterExpression: { status: { $in: ACTIVE_STATUSES } } },
);
// The sweeper's two queries: unpaid orders past their expiry, and orders that owe an event.
orderSchema.index({ status: 1, expiresAt: 1 });
orderSchema.index({ 'pendingEvents.since': 1 });
