import { OrderStatus, Subjects, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import { reserveTicket } from '../../domain/reserve-ticket';
import { OrdersMetrics } from '../../metrics';
import { newObjectId, type Order } from '../../store';
import { counterValue, domainTestKit, type DomainTestKit } from '../../test/domain-test-kit';
import { waitFor } from '@grider-ms-tickets/common/testing';
import { OrderSweeper, type OrderSweeperOptions } from '../order-sweeper';

const GRACE_MS = 60_000;
const OWED_DELAY_MS = 10_000;

function sweeperOf(kit: DomainTestKit, options: Partial<OrderSweeperOptions> = {}): OrderSweeper {
  const { store, bus, logger, metrics } = kit;
  return new OrderSweeper({
    store,
    bus,
    logger,
    metrics,
    intervalMs: 60_000,
    graceMs: GRACE_MS,
    owedEventDelayMs: OWED_DELAY_MS,
    ...options,
  });
}

/** An unpaid order whose expiry was `ms` ago. */
const expiredAgo = (kit: DomainTestKit, ms: number): Promise<Order> =>
  kit.anOrder({ expiresAt: new Date(Date.now() - ms) });

/** Lets every promise that can settle now settle. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('OrderSweeper', () => {
  describe('overdue orders', () => {
    it('cancels an unpaid order past its expiry and grace period, publishing order:cancelled at the new version', async () => {
      const kit = domainTestKit();
      const order = await expiredAgo(kit, GRACE_MS + 1_000);

      const result = await sweeperOf(kit).sweep();

      expect(result).toEqual({ swept: 1, skipped: 0, owedPublished: 0, failed: false });
      expect(await kit.store.orders.findById(order.id)).toMatchObject({
        status: OrderStatus.Cancelled,
        version: 1,
        pendingEvents: [],
      });
      expect(kit.bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([
        { id: order.id, version: 1, ticket: { id: order.ticket.id } },
      ]);
    });

    it('logs each swept order at warn level and counts it', async () => {
      const kit = domainTestKit();
      const order = await expiredAgo(kit, GRACE_MS + 5_000);

      await sweeperOf(kit).sweep();

      expect(kit.logs).toContainEqual(
        expect.objectContaining({ level: 'warn', orderId: order.id, expiresAt: order.expiresAt.toISOString() }),
      );
      expect(await counterValue(kit.metrics.swept)).toBe(1);
      expect(await counterValue(kit.metrics.transitions, { transition: 'cancelled_by_sweep' })).toBe(1);
    });

    it('cancels an order awaiting payment too', async () => {
      const kit = domainTestKit();
      const order = await expiredAgo(kit, GRACE_MS + 1_000);
      await kit.store.orders.save({ ...order, status: OrderStatus.AwaitingPayment });

      await sweeperOf(kit).sweep();

      expect((await kit.store.orders.findById(order.id))?.status).toBe(OrderStatus.Cancelled);
    });

    it('leaves alone orders within the grace period or not expired, and paid or cancelled ones', async () => {
      const kit = domainTestKit();
      const inGrace = await expiredAgo(kit, GRACE_MS - 5_000);
      const notExpired = await kit.anOrder();
      const paid = await kit.store.orders.save({
        ...(await expiredAgo(kit, GRACE_MS + 1_000)),
        status: OrderStatus.Complete,
      });
      const cancelled = await kit.store.orders.save({
        ...(await expiredAgo(kit, GRACE_MS + 1_000)),
        status: OrderStatus.Cancelled,
      });

      const result = await sweeperOf(kit).sweep();

      expect(result.swept).toBe(0);
      expect(await kit.store.orders.findById(inGrace.id)).toEqual(inGrace);
      expect(await kit.store.orders.findById(notExpired.id)).toEqual(notExpired);
      expect(await kit.store.orders.findById(paid.id)).toEqual(paid);
      expect(await kit.store.orders.findById(cancelled.id)).toEqual(cancelled);
      expect(kit.bus.published).toEqual([]);
    });

    it('reads overdue orders batch after batch until none is left', async () => {
      const kit = domainTestKit();
      for (let i = 0; i < 25; i++) await expiredAgo(kit, GRACE_MS + 1_000 + i);

      const result = await sweeperOf(kit, { batchSize: 10 }).sweep();

      expect(result.swept).toBe(25);
      expect(await kit.store.orders.findOverdue(new Date(), 100)).toEqual([]);
    });

    it('does at most maxBatchesPerPass batches in a pass; the next pass goes on', async () => {
      const kit = domainTestKit();
      for (let i = 0; i < 12; i++) await expiredAgo(kit, GRACE_MS + 1_000 + i);
      const sweeper = sweeperOf(kit, { batchSize: 5, maxBatchesPerPass: 2 });

      const first = await sweeper.sweep();
      const second = await sweeper.sweep();

      expect([first.swept, second.swept]).toEqual([10, 2]);
    });

    it('with two sweepers at once on one store, cancels each order once, with one order:cancelled at one version', async () => {
      const kit = domainTestKit();
      const orders: Order[] = [];
      for (let i = 0; i < 200; i++) orders.push(await expiredAgo(kit, GRACE_MS + 1_000 + i));
      // Two replicas: one store and one NATS, each with its own process metrics.
      const [metricsA, metricsB] = [new OrdersMetrics(), new OrdersMetrics()];
      const a = sweeperOf({ ...kit, metrics: metricsA }, { batchSize: 20 });
      const b = sweeperOf({ ...kit, metrics: metricsB }, { batchSize: 20 });

      const [resultA, resultB] = await Promise.all([a.sweep(), b.sweep()]);

      // They did race for the same orders, and the version check settled each race.
      expect(resultA.skipped + resultB.skipped).toBeGreaterThan(0);
      expect(resultA.swept + resultB.swept).toBe(200);
      expect((await counterValue(metricsA.swept)) + (await counterValue(metricsB.swept))).toBe(200);
      const published = kit.bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled);
      expect(published).toHaveLength(200);
      expect(new Set(published.map((e) => e.id))).toEqual(new Set(orders.map((o) => o.id)));
      expect(new Set(published.map((e) => e.version))).toEqual(new Set([1]));
      for (const order of orders) {
        expect(await kit.store.orders.findById(order.id)).toMatchObject({
          status: OrderStatus.Cancelled,
          version: 1,
          pendingEvents: [],
        });
      }
    });

    it('skips an order the expiration listener cancels while the sweeper holds it', async () => {
      const kit = domainTestKit();
      const order = await expiredAgo(kit, GRACE_MS + 1_000);
      const findOverdue = kit.store.orders.findOverdue;
      kit.store.orders.findOverdue = async (before, limit) => {
        const found = await findOverdue(before, limit);
        // The expiration:complete lands between the sweeper's read and its save.
        for (const o of found) await kit.store.orders.save({ ...o, status: OrderStatus.Cancelled });
        return found;
      };

      const result = await sweeperOf(kit).sweep();

      expect(result).toMatchObject({ swept: 0, skipped: 1, failed: false });
      expect((await kit.store.orders.findById(order.id))?.version).toBe(1);
      expect(kit.bus.published).toEqual([]);
    });
  });

  describe('owed events', () => {
    it('publishes an order:created whose publish failed, once it is older than the delay, and counts it', async () => {
      const kit = domainTestKit();
      const ticket = await kit.aTicket();
      kit.bus.failNextPublishes(1);
      const outcome = await reserveTicket(kit, { userId: newObjectId(), ticketId: ticket.id, reservedForSeconds: 900 });
      const { order } = outcome as { order: Order };

      const result = await sweeperOf(kit, { now: () => Date.now() + OWED_DELAY_MS + 1_000 }).sweep();

      expect(result).toMatchObject({ owedPublished: 1, swept: 0, failed: false });
      expect(kit.bus.publishedOn(Subjects.OrderCreated)).toEqual([
        expect.objectContaining({ id: order.id, version: 0, expiresAt: order.expiresAt.toISOString() }),
      ]);
      expect((await kit.store.orders.findById(order.id))?.pendingEvents).toEqual([]);
      expect(await counterValue(kit.metrics.owedEventsPublished, { subject: Subjects.OrderCreated })).toBe(1);
      expect(kit.logs).toContainEqual(
        expect.objectContaining({ level: 'warn', orderId: order.id, subject: Subjects.OrderCreated }),
      );
    });

    it('leaves an event owed for less than the delay to whoever is publishing it', async () => {
      const kit = domainTestKit();
      await kit.anOrder({ owes: Subjects.OrderCreated });

      const result = await sweeperOf(kit).sweep();

      expect(result.owedPublished).toBe(0);
      expect(kit.bus.published).toEqual([]);
    });

    it('publishes an order:created and the order:cancelled owed after it, in that order', async () => {
      const kit = domainTestKit();
      const order = await kit.anOrder({ owes: Subjects.OrderCreated });
      await kit.store.orders.save({ ...order, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);

      await sweeperOf(kit, { now: () => Date.now() + OWED_DELAY_MS + 1_000 }).sweep();

      expect(kit.bus.published.map((e) => [e.subject, (e.data as { version: number }).version])).toEqual([
        [Subjects.OrderCreated, 0],
        [Subjects.OrderCancelled, 1],
      ]);
    });
  });

  describe('when NATS fails', () => {
    it('stops publishing for the pass, still cancels overdue orders with their events owed, and the next pass publishes them', async () => {
      const kit = domainTestKit();
      const orders = [
        await expiredAgo(kit, GRACE_MS + 3_000),
        await expiredAgo(kit, GRACE_MS + 2_000),
        await expiredAgo(kit, GRACE_MS + 1_000),
      ];
      kit.bus.setConnected(false);

      const first = await sweeperOf(kit).sweep();
      kit.bus.setConnected(true);
      const second = await sweeperOf(kit, { now: () => Date.now() + OWED_DELAY_MS + 1_000 }).sweep();

      expect(first).toEqual({ swept: 3, skipped: 0, owedPublished: 0, failed: true });
      // Only the first cancel tried to publish; the others left it to the next pass.
      expect(await counterValue(kit.metrics.publishFailures, { subject: Subjects.OrderCancelled })).toBe(1);
      expect(second).toMatchObject({ swept: 0, owedPublished: 3, failed: false });
      expect(kit.bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled).map((e) => e.id)).toEqual(
        orders.map((o) => o.id),
      );
    });

    it('stops publishing owed events at the first failure and leaves the rest owed', async () => {
      const kit = domainTestKit();
      const owing = [
        await kit.anOrder({ owes: Subjects.OrderCreated }),
        await kit.anOrder({ owes: Subjects.OrderCreated }),
      ];
      kit.bus.failNextPublishes(1);

      const result = await sweeperOf(kit, { now: () => Date.now() + OWED_DELAY_MS + 1_000 }).sweep();

      expect(result).toMatchObject({ owedPublished: 0, failed: true });
      for (const order of owing) expect((await kit.store.orders.findById(order.id))?.pendingEvents).toHaveLength(1);
    });
  });

  describe('running', () => {
    it('logs a failing store at error level, and the next pass goes on', async () => {
      const kit = domainTestKit();
      const order = await expiredAgo(kit, GRACE_MS + 1_000);
      const findOverdue = kit.store.orders.findOverdue;
      kit.store.orders.findOverdue = async () => {
        kit.store.orders.findOverdue = findOverdue;
        throw new Error('store unreachable');
      };
      const sweeper = sweeperOf(kit);

      const first = await sweeper.sweep();
      const second = await sweeper.sweep();

      expect(first).toMatchObject({ swept: 0, failed: true });
      expect(kit.logs).toContainEqual(
        expect.objectContaining({ level: 'error', msg: expect.stringContaining('sweep') }),
      );
      expect(second.swept).toBe(1);
      expect((await kit.store.orders.findById(order.id))?.status).toBe(OrderStatus.Cancelled);
    });

    it('once started, sweeps every interval', async () => {
      const kit = domainTestKit();
      const sweeper = sweeperOf(kit, { intervalMs: 20 });
      sweeper.start();

      try {
        const first = await expiredAgo(kit, GRACE_MS + 1_000);
        await waitFor(
          async () => (await kit.store.orders.findById(first.id))?.status === OrderStatus.Cancelled,
          'a pass',
        );
        const second = await expiredAgo(kit, GRACE_MS + 1_000);
        await waitFor(
          async () => (await kit.store.orders.findById(second.id))?.status === OrderStatus.Cancelled,
          'the next pass',
        );
      } finally {
        await sweeper.stop();
      }
    });

    it('stop() waits for the pass in progress, which ends after the order it is working on', async () => {
      const kit = domainTestKit();
      for (let i = 0; i < 5; i++) await expiredAgo(kit, GRACE_MS + 1_000 + i);
      let release!: () => void;
      const gate = new Promise<void>((resolve) => (release = resolve));
      const publish = kit.bus.publish.bind(kit.bus);
      kit.bus.publish = async (...args) => {
        await gate;
        return publish(...args);
      };
      const sweeper = sweeperOf(kit);
      const pass = sweeper.sweep();
      await waitFor(
        async () => (await kit.store.orders.findOverdue(new Date(), 10)).length === 4,
        'the first cancel to be saved',
      );

      let stopped = false;
      const stopping = sweeper.stop().then(() => (stopped = true));
      await settle();
      const stoppedBeforeRelease = stopped;
      release();
      await stopping;

      expect(stoppedBeforeRelease).toBe(false);
      expect((await pass).swept).toBe(1);
      expect(kit.bus.publishedOn(Subjects.OrderCancelled)).toHaveLength(1);
    });
  });
});
