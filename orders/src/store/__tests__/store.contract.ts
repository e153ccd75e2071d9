import { OrderStatus, Subjects } from '@grider-ms-tickets/common';
import { TicketExistsError } from '../errors/ticket-exists-error';
import { TicketReservedError } from '../errors/ticket-reserved-error';
import { VersionConflictError } from '../errors/version-conflict-error';
import { isObjectId, newObjectId } from '../object-id';
import type { Order, OrdersStore, Ticket } from '../orders-store';

/** Resolves once the clock has moved on, so that the next timestamp differs from the last one. */
async function nextMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() === start) await new Promise((resolve) => setImmediate(resolve));
}

/**
 * The behaviour every {@link OrdersStore} must have. Each test makes its own
 * ids and users, so the suite can share one store (and one database) across
 * its tests without them seeing each other's data; the sweeper's queries,
 * which see every order, are checked against the ids a test made.
 *
 * @param getStore - the store under test, opened by the caller's beforeAll
 */
export function describeStoreContract(getStore: () => OrdersStore): void {
  const aTicket = async (title = 'concert', price = 20): Promise<Ticket> =>
    getStore().tickets.create({ id: newObjectId(), title, price });

  const anOrder = async (ticket?: Ticket, userId = newObjectId()): Promise<Order> =>
    getStore().orders.create({ userId, expiresAt: new Date(Date.now() + 60_000), ticket: ticket ?? (await aTicket()) });

  const anOrderExpiringAt = async (expiresAt: Date): Promise<Order> =>
    getStore().orders.create({ userId: newObjectId(), expiresAt, ticket: await aTicket() });

  /** An order that owes its order:created. */
  const anOwingOrder = async (): Promise<Order> =>
    getStore().orders.create(
      { userId: newObjectId(), expiresAt: new Date(Date.now() + 60_000), ticket: await aTicket() },
      Subjects.OrderCreated,
    );

  describe('tickets', () => {
    it('creates a replica with the given id at version 0, and finds it', async () => {
      const id = newObjectId();

      const created = await getStore().tickets.create({ id, title: 'concert', price: 20 });

      expect(created).toEqual({ id, title: 'concert', price: 20, version: 0 });
      expect(await getStore().tickets.findById(id)).toEqual(created);
    });

    it('refuses a second ticket with the same id', async () => {
      const ticket = await aTicket();

      await expect(getStore().tickets.create({ id: ticket.id, title: 'again', price: 1 })).rejects.toBeInstanceOf(
        TicketExistsError,
      );
    });

    it('refuses an id that is not an ObjectId', async () => {
      await expect(getStore().tickets.create({ id: 'not-an-id', title: 'x', price: 1 })).rejects.toBeInstanceOf(
        TypeError,
      );
    });

    it('finds nothing for an unknown or malformed id', async () => {
      expect(await getStore().tickets.findById(newObjectId())).toBeNull();
      expect(await getStore().tickets.findById('not-an-id')).toBeNull();
    });

    it('saves title and price and increments the version', async () => {
      const ticket = await aTicket();

      const saved = await getStore().tickets.save({ ...ticket, title: 'opera', price: 35 });

      expect(saved).toEqual({ id: ticket.id, title: 'opera', price: 35, version: 1 });
      expect(await getStore().tickets.findById(ticket.id)).toEqual(saved);
    });

    it('increments the version even when nothing else changed', async () => {
      const ticket = await aTicket();

      const saved = await getStore().tickets.save(ticket);

      expect(saved.version).toBe(1);
      expect((await getStore().tickets.findById(ticket.id))?.version).toBe(1);
    });

    it('rejects a stale save and keeps what was stored', async () => {
      const ticket = await aTicket();
      await getStore().tickets.save({ ...ticket, price: 30 });

      await expect(getStore().tickets.save({ ...ticket, price: 99 })).rejects.toBeInstanceOf(VersionConflictError);
      expect(await getStore().tickets.findById(ticket.id)).toMatchObject({ price: 30, version: 1 });
    });

    it('rejects the save of a ticket that does not exist', async () => {
      await expect(
        getStore().tickets.save({ id: newObjectId(), title: 'x', price: 1, version: 0 }),
      ).rejects.toBeInstanceOf(VersionConflictError);
    });
  });

  describe('orders', () => {
    it('creates an order with status created at version 0, with its ticket', async () => {
      const ticket = await aTicket();
      const userId = newObjectId();
      const expiresAt = new Date(Date.now() + 900_000);

      const order = await getStore().orders.create({ userId, expiresAt, ticket });

      expect(isObjectId(order.id)).toBe(true);
      expect(order).toEqual({
        id: order.id,
        userId,
        status: OrderStatus.Created,
        expiresAt,
        version: 0,
        ticket,
        pendingEvents: [],
      });
      expect(await getStore().orders.findById(order.id)).toEqual(order);
    });

    it('finds nothing for an unknown or malformed id', async () => {
      expect(await getStore().orders.findById(newObjectId())).toBeNull();
      expect(await getStore().orders.findById('not-an-id')).toBeNull();
    });

    it('keeps the correlation id an order was created with, through later saves', async () => {
      const ticket = await aTicket();
      const created = await getStore().orders.create({
        userId: newObjectId(),
        expiresAt: new Date(Date.now() + 60_000),
        ticket,
        correlationId: 'req-7f3a',
      });

      const saved = await getStore().orders.save(
        { ...created, status: OrderStatus.Cancelled },
        Subjects.OrderCancelled,
      );

      expect(created.correlationId).toBe('req-7f3a');
      expect(saved.correlationId).toBe('req-7f3a');
      expect((await getStore().orders.findById(created.id))?.correlationId).toBe('req-7f3a');
      expect(
        (await getStore().orders.findOwingEvents(new Date(Date.now() + 1_000), 1_000)).find((o) => o.id === created.id),
      ).toHaveProperty('correlationId', 'req-7f3a');
    });

    it('reads an order created without a correlation id with none', async () => {
      const order = await anOrder();

      const found = await getStore().orders.findById(order.id);

      expect(found).not.toHaveProperty('correlationId');
      expect(order).not.toHaveProperty('correlationId');
    });

    it("lists one user's orders, oldest first, with their tickets", async () => {
      const userId = newObjectId();
      const first = await anOrder(undefined, userId);
      const second = await anOrder(undefined, userId);
      await anOrder();

      const orders = await getStore().orders.listByUser(userId);

      expect(orders).toEqual([first, second]);
    });

    it('reads the ticket as it is now', async () => {
      const ticket = await aTicket('concert', 20);
      const order = await anOrder(ticket);
      await getStore().tickets.save({ ...ticket, price: 25 });

      expect((await getStore().orders.findById(order.id))?.ticket).toEqual({ ...ticket, price: 25, version: 1 });
    });

    it('saves the status and increments the version', async () => {
      const order = await anOrder();

      const saved = await getStore().orders.save({ ...order, status: OrderStatus.Cancelled });

      expect(saved).toEqual({ ...order, status: OrderStatus.Cancelled, version: 1 });
      expect(await getStore().orders.findById(order.id)).toEqual(saved);
    });

    it('increments the version on every save, changed or not', async () => {
      const order = await anOrder();

      const once = await getStore().orders.save(order);
      const twice = await getStore().orders.save(once);

      expect([once.version, twice.version]).toEqual([1, 2]);
    });

    it('rejects a stale save and keeps what was stored', async () => {
      const order = await anOrder();
      await getStore().orders.save({ ...order, status: OrderStatus.Complete });

      await expect(getStore().orders.save({ ...order, status: OrderStatus.Cancelled })).rejects.toBeInstanceOf(
        VersionConflictError,
      );
      expect(await getStore().orders.findById(order.id)).toMatchObject({ status: OrderStatus.Complete, version: 1 });
    });

    it('lets only one of two saves from the same version through', async () => {
      const order = await anOrder();

      const results = await Promise.allSettled([
        getStore().orders.save({ ...order, status: OrderStatus.Complete }),
        getStore().orders.save({ ...order, status: OrderStatus.Cancelled }),
      ]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(rejected?.reason).toBeInstanceOf(VersionConflictError);
    });
  });

  describe('pending events (the outbox)', () => {
    it('records the event a new order owes, at version 0, in the same write', async () => {
      const ticket = await aTicket();
      const before = Date.now();

      const order = await getStore().orders.create(
        { userId: newObjectId(), expiresAt: new Date(Date.now() + 60_000), ticket },
        Subjects.OrderCreated,
      );

      expect(order.pendingEvents).toEqual([{ subject: Subjects.OrderCreated, version: 0, since: expect.any(Date) }]);
      expect(order.pendingEvents[0]?.since.getTime()).toBeGreaterThanOrEqual(before - 1);
      expect((await getStore().orders.findById(order.id))?.pendingEvents).toEqual(order.pendingEvents);
    });

    it('records the event a save owes at the version the save gives the order', async () => {
      const order = await anOrder();

      const saved = await getStore().orders.save({ ...order, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);

      expect(saved).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
      expect(saved.pendingEvents).toEqual([{ subject: Subjects.OrderCancelled, version: 1, since: expect.any(Date) }]);
      expect(await getStore().orders.findById(order.id)).toEqual(saved);
    });

    it('keeps earlier pending events when a save owes another, oldest first', async () => {
      const order = await anOwingOrder();

      const saved = await getStore().orders.save({ ...order, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);

      expect(saved.pendingEvents.map((p) => [p.subject, p.version])).toEqual([
        [Subjects.OrderCreated, 0],
        [Subjects.OrderCancelled, 1],
      ]);
    });

    it('removes an acknowledged event without changing the version', async () => {
      const order = await anOwingOrder();

      await getStore().orders.markPublished(order.id, { subject: Subjects.OrderCreated, version: 0 });

      expect(await getStore().orders.findById(order.id)).toEqual({ ...order, pendingEvents: [] });
    });

    it('removes only the event named by subject and version', async () => {
      const order = await anOwingOrder();
      await getStore().orders.save({ ...order, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);

      await getStore().orders.markPublished(order.id, { subject: Subjects.OrderCancelled, version: 0 });
      await getStore().orders.markPublished(order.id, { subject: Subjects.OrderCreated, version: 0 });

      const stored = await getStore().orders.findById(order.id);
      expect(stored?.pendingEvents.map((p) => [p.subject, p.version])).toEqual([[Subjects.OrderCancelled, 1]]);
      expect(stored?.version).toBe(1);
    });

    it('does nothing for an event no longer pending or an unknown order', async () => {
      const order = await anOwingOrder();
      await getStore().orders.markPublished(order.id, { subject: Subjects.OrderCreated, version: 0 });

      await getStore().orders.markPublished(order.id, { subject: Subjects.OrderCreated, version: 0 });
      await getStore().orders.markPublished(newObjectId(), { subject: Subjects.OrderCreated, version: 0 });
      await getStore().orders.markPublished('not-an-id', { subject: Subjects.OrderCreated, version: 0 });

      expect(await getStore().orders.findById(order.id)).toMatchObject({ version: 0, pendingEvents: [] });
    });

    it('never brings back an acknowledged event when an order loaded before the acknowledgement is saved', async () => {
      const loaded = await anOwingOrder();
      await getStore().orders.markPublished(loaded.id, { subject: Subjects.OrderCreated, version: 0 });

      const saved = await getStore().orders.save({ ...loaded, status: OrderStatus.Complete });

      expect(saved.pendingEvents).toEqual([]);
      expect((await getStore().orders.findById(loaded.id))?.pendingEvents).toEqual([]);
    });

    it('finds orders owing an event pending since before the cut-off, longest owing first', async () => {
      const first = await anOwingOrder();
      await nextMillisecond();
      const second = await anOwingOrder();
      const settled = await anOwingOrder();
      await getStore().orders.markPublished(settled.id, { subject: Subjects.OrderCreated, version: 0 });

      const found = await getStore().orders.findOwingEvents(new Date(Date.now() + 1_000), 10_000);

      const ids = found.map((o) => o.id).filter((id) => [first.id, second.id, settled.id].includes(id));
      expect(ids).toEqual([first.id, second.id]);
      expect(found.find((o) => o.id === first.id)).toEqual(first);
    });

    it('does not find an event that became pending after the cut-off', async () => {
      const cutOff = new Date(Date.now() - 1_000);
      const order = await anOwingOrder();

      const found = await getStore().orders.findOwingEvents(cutOff, 10_000);

      expect(found.map((o) => o.id)).not.toContain(order.id);
    });

    it('finds at most `limit` orders owing events', async () => {
      await Promise.all([anOwingOrder(), anOwingOrder(), anOwingOrder()]);

      expect(await getStore().orders.findOwingEvents(new Date(Date.now() + 1_000), 2)).toHaveLength(2);
    });
  });

  describe('overdue orders', () => {
    const anHourAgo = () => new Date(Date.now() - 3_600_000);

    it('finds unpaid orders, created or awaiting payment, whose expiry is before the cut-off', async () => {
      const created = await anOrderExpiringAt(anHourAgo());
      const awaiting = await getStore().orders.save({
        ...(await anOrderExpiringAt(anHourAgo())),
        status: OrderStatus.AwaitingPayment,
      });

      const found = await getStore().orders.findOverdue(new Date(), 10_000);

      expect(found).toContainEqual(created);
      expect(found).toContainEqual(awaiting);
    });

    it('does not find complete or cancelled orders, nor one that expires after the cut-off', async () => {
      const complete = await anOrderExpiringAt(anHourAgo());
      await getStore().orders.save({ ...complete, status: OrderStatus.Complete });
      const cancelled = await anOrderExpiringAt(anHourAgo());
      await getStore().orders.save({ ...cancelled, status: OrderStatus.Cancelled });
      const later = await anOrderExpiringAt(new Date(Date.now() + 60_000));

      const found = await getStore().orders.findOverdue(new Date(), 10_000);

      const ids = found.map((o) => o.id);
      expect(ids).not.toContain(complete.id);
      expect(ids).not.toContain(cancelled.id);
      expect(ids).not.toContain(later.id);
    });

    it('finds the earliest expiries first, at most `limit` of them', async () => {
      // Long before any other test's orders, so that they are the earliest in a shared store.
      const third = await anOrderExpiringAt(new Date(3_000));
      const first = await anOrderExpiringAt(new Date(1_000));
      const second = await anOrderExpiringAt(new Date(2_000));

      const found = await getStore().orders.findOverdue(new Date(10_000), 2);

      expect(found.map((o) => o.id)).toEqual([first.id, second.id]);
      expect((await getStore().orders.findOverdue(new Date(10_000), 10)).map((o) => o.id)).toEqual([
        first.id,
        second.id,
        third.id,
      ]);
    });
  });

  describe('reservations', () => {
    it.each([OrderStatus.Created, OrderStatus.AwaitingPayment, OrderStatus.Complete])(
      'refuses a second order while the first is %s',
      async (status) => {
        const ticket = await aTicket();
        const first = await anOrder(ticket);
        if (status !== OrderStatus.Created) await getStore().orders.save({ ...first, status });

        await expect(anOrder(ticket)).rejects.toBeInstanceOf(TicketReservedError);
      },
    );

    it('accepts a new order once the previous one is cancelled', async () => {
      const ticket = await aTicket();
      const first = await anOrder(ticket);
      await getStore().orders.save({ ...first, status: OrderStatus.Cancelled });

      const second = await anOrder(ticket);

      expect(second.status).toBe(OrderStatus.Created);
    });

    it('lets only one of two concurrent orders for a ticket through', async () => {
      const ticket = await aTicket();

      const results = await Promise.allSettled([anOrder(ticket), anOrder(ticket), anOrder(ticket)]);

      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
      for (const r of results) {
        if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(TicketReservedError);
      }
    });

    it('refuses to bring a cancelled order back while another order holds the ticket', async () => {
      const ticket = await aTicket();
      const cancelled = await getStore().orders.save({ ...(await anOrder(ticket)), status: OrderStatus.Cancelled });
      await anOrder(ticket);

      await expect(getStore().orders.save({ ...cancelled, status: OrderStatus.Created })).rejects.toBeInstanceOf(
        TicketReservedError,
      );
    });
  });

  it('is ready while open', async () => {
    expect(await getStore().isReady()).toBe(true);
  });
}
