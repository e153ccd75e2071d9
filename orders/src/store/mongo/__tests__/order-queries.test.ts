import { OrderStatus, Subjects } from '@grider-ms-tickets/common';
import mongoose, { type Model } from 'mongoose';
import { applyOrderChange } from '../mongo-store';
import { orderSchema, type OrderDocument } from '../order-model';
import { findOverdueQuery, findOwingEventsQuery, markPublishedQuery } from '../order-queries';

// What the orders collection is sent, seen without a server: the collection's
// methods are replaced by recorders that answer as MongoDB would.
interface Sent {
  method: 'find' | 'updateOne';
  filter: Record<string, unknown>;
  second: Record<string, unknown>;
}

function recordingOrderModel(): { model: Model<OrderDocument>; sent: Sent[] } {
  const model = mongoose.createConnection().model<OrderDocument>('Order', orderSchema);
  const sent: Sent[] = [];
  Object.assign(model.collection, {
    find: async (filter: Sent['filter'], options: Sent['second']) => {
      sent.push({ method: 'find', filter, second: options });
      return { toArray: async () => [] };
    },
    updateOne: async (filter: Sent['filter'], update: Sent['second']) => {
      sent.push({ method: 'updateOne', filter, second: update });
      return { matchedCount: 1, modifiedCount: 1 };
    },
  });
  return { model, sent };
}

function loadedOrder(model: Model<OrderDocument>, version: number) {
  return model.hydrate({
    _id: new mongoose.Types.ObjectId(),
    userId: 'u1',
    status: OrderStatus.Created,
    expiresAt: new Date(),
    ticket: new mongoose.Types.ObjectId(),
    version,
    pendingEvents: [{ subject: Subjects.OrderCreated, version: 0, since: new Date(0) }],
  });
}

describe('the orders collection (no server)', () => {
  it('a save that owes an event appends it with $push at the new version, checked against the loaded version', async () => {
    const { model, sent } = recordingOrderModel();
    const doc = loadedOrder(model, 3);

    applyOrderChange(doc, { status: OrderStatus.Cancelled }, Subjects.OrderCancelled);
    await doc.save();

    expect(sent).toEqual([
      {
        method: 'updateOne',
        filter: { _id: doc._id, version: 3 },
        second: {
          $set: { status: OrderStatus.Cancelled },
          $push: {
            pendingEvents: { $each: [{ subject: Subjects.OrderCancelled, version: 4, since: expect.any(Date) }] },
          },
          $inc: { version: 1 },
        },
      },
    ]);
  });

  it('a save that owes nothing leaves the pending events alone', async () => {
    const { model, sent } = recordingOrderModel();
    const doc = loadedOrder(model, 1);

    applyOrderChange(doc, { status: OrderStatus.Complete });
    await doc.save();

    expect(sent).toEqual([
      {
        method: 'updateOne',
        filter: { _id: doc._id, version: 1 },
        second: { $set: { status: OrderStatus.Complete }, $inc: { version: 1 } },
      },
    ]);
  });

  it('marking an event published pulls that one entry and leaves the version alone', async () => {
    const { model, sent } = recordingOrderModel();
    const id = new mongoose.Types.ObjectId();

    await markPublishedQuery(model, id.toHexString(), { subject: Subjects.OrderCreated, version: 0 });

    expect(sent).toEqual([
      {
        method: 'updateOne',
        filter: { _id: id },
        second: { $pull: { pendingEvents: { subject: Subjects.OrderCreated, version: 0 } } },
      },
    ]);
  });

  it('the overdue query asks for unpaid orders expired before the cut-off, earliest first, limited', async () => {
    const { model, sent } = recordingOrderModel();
    const before = new Date('2030-01-01T00:00:00Z');

    await findOverdueQuery(model, before, 50);

    expect(sent).toEqual([
      {
        method: 'find',
        filter: { status: { $in: [OrderStatus.Created, OrderStatus.AwaitingPayment] }, expiresAt: { $lt: before } },
        second: expect.objectContaining({ sort: { expiresAt: 1 }, limit: 50 }),
      },
    ]);
  });

  it('the owing-events query asks for events pending since before the cut-off, longest owing first, limited', async () => {
    const { model, sent } = recordingOrderModel();
    const before = new Date('2030-01-01T00:00:00Z');

    await findOwingEventsQuery(model, before, 20);

    expect(sent).toEqual([
      {
        method: 'find',
        filter: { 'pendingEvents.since': { $lt: before } },
        second: expect.objectContaining({ sort: { 'pendingEvents.since': 1 }, limit: 20 }),
      },
    ]);
  });

  it('keeps a correlation id on an order, and reads a document written without one as it is', () => {
    const { model } = recordingOrderModel();
    const fields = { userId: 'u1', expiresAt: new Date(), ticket: new mongoose.Types.ObjectId() };

    const withId = new model({ ...fields, correlationId: 'req-1' });
    const older = model.hydrate({
      ...fields,
      _id: new mongoose.Types.ObjectId(),
      status: OrderStatus.Created,
      version: 2,
    });

    expect(withId.validateSync()).toBeUndefined();
    expect(withId.correlationId).toBe('req-1');
    expect(older.validateSync()).toBeUndefined();
    expect(older.correlationId).toBeUndefined();
  });

  it('declares the indexes the sweeper queries use', () => {
    const keys = orderSchema.indexes().map(([fields]) => fields);

    expect(keys).toContainEqual({ status: 1, expiresAt: 1 });
    expect(keys).toContainEqual({ 'pendingEvents.since': 1 });
  });
});
