import type { Model } from 'mongoose';
import { UNPAID_STATUSES, type PublishedEvent } from '../orders-store';
import type { OrderDocument } from './order-model';

// The orders collection's reads and writes beyond a load and a save, kept
// apart from the store so that what they send can be checked without a server
// (src/store/mongo/__tests__/order-queries.test.ts).

/**
 * Unpaid orders whose expiresAt is before `before`, earliest first, with their tickets.
 *
 * @param model - the order model
 * @param before - the cut-off
 * @param limit - at most this many
 * @returns the query
 */
export function findOverdueQuery(model: Model<OrderDocument>, before: Date, limit: number) {
  return model
    .find({ status: { $in: [...UNPAID_STATUSES] }, expiresAt: { $lt: before } })
    .sort({ expiresAt: 1 })
    .limit(limit)
    .populate('ticket');
}

/**
 * Orders with an event pending since before `before`, longest owing first
 * (an ascending sort on an array field orders by its smallest element), with their tickets.
 *
 * @param model - the order model
 * @param before - the cut-off
 * @param limit - at most this many
 * @returns the query
 */
export function findOwingEventsQuery(model: Model<OrderDocument>, before: Date, limit: number) {
  return model
    .find({ 'pendingEvents.since': { $lt: before } })
    .sort({ 'pendingEvents.since': 1 })
    .limit(limit)
    .populate('ticket');
}

/**
 * Removes an acknowledged event. It leaves `version` alone on purpose, and
 * that is why it is an `updateOne`, the one write besides `save()` (which is
 * version-checked): removing the one matching entry is safe whatever the
 * order's version is, and a version no event announces would confuse the
 * services that order events by it.
 *
 * @param model - the order model
 * @param orderId - a 24-digit hex ObjectId
 * @param event - the subject and version of the acknowledged event
 * @returns the query
 */
export function markPublishedQuery(model: Model<OrderDocument>, orderId: string, event: PublishedEvent) {
  return model.updateOne(
    { _id: orderId },
    { $pull: { pendingEvents: { subject: event.subject, version: event.version } } },
  );
}
