import { OrderStatus } from '@grider-ms-tickets/common';
import { TicketExistsError } from '../errors/ticket-exists-error';
import { TicketReservedError } from '../errors/ticket-reserved-error';
import { VersionConflictError } from '../errors/version-conflict-error';
import { isObjectId, newObjectId } from '../object-id';
import type { Order, OrdersStore, Ticket } from '../orders-store';

/**
 * The behaviour every {@link OrdersStore} must have. Each test makes its own
 * ids and users, so the suite can share one store (and one database) across
 * its tests without them seeing each other's data.
 *
 * @param getStore - the store under test, opened by the caller's beforeAll
 */
export function describeStoreContract(getStore: () => OrdersStore): void {
  const aTicket = async (title = 'concert', price = 20): Promise<Ticket> =>
    getStore().tickets.create({ id: newObjectId(), title, price });

  const anOrder = async (ticket?: Ticket, userId = newObjectId()): Promise<Order> =>
    getStore().orders.create({ userId, expiresAt: new Date(Date.now() + 60_000), ticket: ticket ?? (await aTicket()) });

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
      expect(order).toEqual({ id: order.id, userId, status: OrderStatus.Created, expiresAt, version: 0, ticket });
      expect(await getStore().orders.findById(order.id)).toEqual(order);
    });

    it('finds nothing for an unknown or malformed id', async () => {
      expect(await getStore().orders.findById(newObjectId())).toBeNull();
      expect(await getStore().orders.findById('not-an-id')).toBeNull();
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
