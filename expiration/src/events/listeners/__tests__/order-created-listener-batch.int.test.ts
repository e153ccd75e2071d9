import { Subjects, type ExpirationCompleteEvent, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import { FakeEventBus, type FakeMessage } from '@grider-ms-tickets/common/testing';
import { ExpirationMetrics } from '../../../metrics';
import { expirationJobId } from '../../../queues/expiration-job-id';
import type { ExpirationQueue } from '../../../queues/expiration-queue';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { RedisServerProcess } from '../../../test/child-process';
import { destroyQueue, freePort, inMs, newOrderId, orderCreated, testLogger, waitFor } from '../../../test/helpers';
import { completedJob, counterTotal, processExpirations, schedulerWithHook, testQueue } from '../../../test/queue-kit';
import { OrderCancelledListener } from '../order-cancelled-listener';
import { OrderCreatedListener, type OrderCreatedListenerOptions } from '../order-created-listener';

const queues: ExpirationQueue[] = [];

function newQueue(redis: { port?: number; commandTimeoutMs?: number } = {}): ExpirationQueue {
  const expirations = testQueue('test-created-batch', { redis });
  queues.push(expirations);
  return expirations;
}

/** How many jobs each order has. */
function jobsPerOrder(expirations: ExpirationQueue, orderIds: string[]): Promise<number[]> {
  return Promise.all(orderIds.map(async (id) => ((await expirations.queue.getJob(expirationJobId(id))) ? 1 : 0)));
}

const settled = (messages: FakeMessage[]) => messages.map((m) => (m.acked ? 'acked' : m.nakked ? 'nakked' : 'open'));

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => destroyQueue(q)));
});

describe('OrderCreatedListener, a batch at a time', () => {
  let expirations: ExpirationQueue;
  let bus: FakeEventBus;
  let metrics: ExpirationMetrics;

  beforeEach(() => {
    expirations = newQueue();
    bus = new FakeEventBus();
    metrics = new ExpirationMetrics();
  });

  const listener = (options: Partial<OrderCreatedListenerOptions> = {}) =>
    new OrderCreatedListener(bus, { expirations, metrics, logger: testLogger(), ...options });

  it('stores the orders that arrive together with one call to the scheduler, and acks each once its job is stored', async () => {
    const orders = Array.from({ length: 50 }, () => orderCreated(inMs(60_000)));
    const schedule = jest.spyOn(expirations, 'scheduleExpirations');

    const messages = await bus.deliverAll(listener(), orders);

    expect(schedule).toHaveBeenCalledTimes(1);
    expect(schedule.mock.calls[0][0]).toHaveLength(50);
    expect(settled(messages)).toEqual(orders.map(() => 'acked'));
    expect(await expirations.queue.getDelayedCount()).toBe(50);
    expect(await counterTotal(metrics.jobsScheduled)).toBe(50);
  });

  it('when an order comes twice in one batch, stores one job, acks both, and counts and logs the copy as a duplicate', async () => {
    const { logger, lines } = captureLogs();
    const [a, b] = [orderCreated(inMs(60_000)), orderCreated(inMs(60_000))];

    const messages = await bus.deliverAll(listener({ logger }), [a, b, a]);

    expect(settled(messages)).toEqual(['acked', 'acked', 'acked']);
    expect(await jobsPerOrder(expirations, [a.id, b.id])).toEqual([1, 1]);
    expect(await expirations.queue.getDelayedCount()).toBe(2);
    expect(await counterTotal(metrics.jobsScheduled)).toBe(2);
    expect(await counterTotal(metrics.duplicatesIgnored)).toBe(1);
    expect(lines.filter((l) => l.msg === 'order already has an expiration; duplicate ignored')).toEqual([
      expect.objectContaining({ level: 'info', orderId: a.id }),
    ]);
  });

  it('with valid and invalid events mixed, stores the valid ones and dead-letters each invalid one on its own', async () => {
    const valid = [orderCreated(inMs(60_000)), orderCreated(inMs(60_000))];
    const missingId = { ...orderCreated(inMs(60_000)), id: undefined };
    const badDate = { ...orderCreated(inMs(60_000)), expiresAt: 'tomorrow' };
    const schedule = jest.spyOn(expirations, 'scheduleExpirations');

    const messages = await bus.deliverAll(listener(), [valid[0], '{not json', missingId, badDate, valid[1]]);

    expect(settled(messages)).toEqual(['acked', 'acked', 'acked', 'acked', 'acked']);
    expect(schedule.mock.calls.flatMap(([requests]) => requests.map((r) => r.orderId))).toEqual(valid.map((o) => o.id));
    expect(await jobsPerOrder(expirations, [valid[0].id, valid[1].id, badDate.id])).toEqual([1, 1, 0]);
    expect(bus.deadLetters.map((letter) => letter.sequence)).toEqual(messages.slice(1, 4).map((m) => m.getSequence()));
    expect(await counterTotal(metrics.invalidEvents)).toBe(3);
    expect(await counterTotal(metrics.jobsScheduled)).toBe(2);
  });

  it('does not schedule an order cancelled before its order:created, and schedules the rest of its batch', async () => {
    const { logger, lines } = captureLogs();
    const [a, cancelled, b] = [orderCreated(inMs(60_000)), orderCreated(inMs(60_000)), orderCreated(inMs(60_000))];
    await expirations.cancelExpiration(cancelled.id);

    const messages = await bus.deliverAll(listener({ logger }), [a, cancelled, b]);

    expect(settled(messages)).toEqual(['acked', 'acked', 'acked']);
    expect(await jobsPerOrder(expirations, [a.id, cancelled.id, b.id])).toEqual([1, 0, 1]);
    expect(await counterTotal(metrics.cancelled)).toBe(1);
    expect(lines.filter((l) => l.msg === 'order was already cancelled; no expiration scheduled')).toEqual([
      expect.objectContaining({ level: 'debug', orderId: cancelled.id }),
    ]);
  });

  it('when an order is cancelled while its batch is being stored, stores its job but never publishes its expiration', async () => {
    const doomed = orderCreated(inMs(300));
    // Falls due after the cancelled one: once it is published, the other would have been too.
    const control = orderCreated(inMs(600));
    const cancelledListener = new OrderCancelledListener(bus, { expirations, metrics, logger: testLogger() });
    let cancellation: FakeMessage | undefined;
    const scheduler = schedulerWithHook(expirations, async () => {
      const data: OrderCancelledEvent['data'] = { id: doomed.id, version: 1, ticket: { id: newOrderId() } };
      cancellation = await bus.deliver(cancelledListener, data);
    });
    processExpirations(expirations, { bus, metrics });

    const messages = await bus.deliverAll(listener({ expirations: scheduler }), [doomed, control]);
    const job = await completedJob(expirations, expirationJobId(doomed.id), 'the cancelled order job to complete');
    await waitFor(
      () => bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete).length === 1,
      'the control order to expire',
    );

    expect(settled(messages)).toEqual(['acked', 'acked']);
    expect(cancellation?.acked).toBe(true);
    expect(job.returnvalue).toBe('cancelled');
    expect(bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([{ orderId: control.id }]);
  });

  it('when a stored batch is delivered again, stores nothing new, acks every message, and counts each as a duplicate', async () => {
    const { logger, lines } = captureLogs();
    const orders = Array.from({ length: 20 }, () => orderCreated(inMs(60_000)));
    await bus.deliverAll(listener(), orders);

    const again = await bus.deliverAll(listener({ logger }), orders, { deliveryCount: 2 });

    expect(settled(again)).toEqual(orders.map(() => 'acked'));
    expect(await expirations.queue.getDelayedCount()).toBe(20);
    expect(await counterTotal(metrics.jobsScheduled)).toBe(20);
    expect(await counterTotal(metrics.duplicatesIgnored)).toBe(20);
    expect(
      lines.filter((l) => l.msg === 'order already has an expiration; duplicate ignored').map((l) => l.orderId),
    ).toEqual(orders.map((o) => o.id));
  });

  it('gives back alone an order the scheduler refuses, acks the rest of its batch, and dead-letters it on its last delivery', async () => {
    const [ok, refused, ok2] = [orderCreated(inMs(60_000)), orderCreated(inMs(60_000)), orderCreated(inMs(60_000))];
    // The real scheduler, handed an impossible date for one order.
    const corrupting = {
      scheduleExpirations: (requests: Parameters<ExpirationQueue['scheduleExpirations']>[0]) =>
        expirations.scheduleExpirations(
          requests.map((r) => (r.orderId === refused.id ? { ...r, expiresAt: new Date(Number.NaN) } : r)),
        ),
    };
    const refusing = listener({ expirations: corrupting, maxDeliveries: 2, service: 'expiration' });

    const messages = await bus.deliverAll(refusing, [ok, refused, ok2]);
    const last = await bus.deliver(refusing, refused, { deliveryCount: 2 });

    expect(settled(messages)).toEqual(['acked', 'nakked', 'acked']);
    expect(await jobsPerOrder(expirations, [ok.id, refused.id, ok2.id])).toEqual([1, 0, 1]);
    expect(last.acked).toBe(true);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({
        subject: 'order:created',
        reason: expect.stringMatching(/^handler failed: .*expiresAt is not a valid date/),
      }),
    ]);
  });
});

// A redis-server of the test's own, frozen (SIGSTOP) at a chosen moment of a
// batch: its commands time out on the client while Redis still holds them,
// and runs them once it is thawed, the worst case for a redelivery.
describe('OrderCreatedListener when Redis fails in the middle of a batch', () => {
  let redis: RedisServerProcess;
  let port: number;
  let bus: FakeEventBus;
  let metrics: ExpirationMetrics;

  beforeAll(async () => {
    port = await freePort();
    redis = await RedisServerProcess.start(port);
  });

  beforeEach(() => {
    bus = new FakeEventBus();
    metrics = new ExpirationMetrics();
  });

  afterEach(() => {
    redis.resume();
  });

  afterAll(async () => {
    redis?.resume();
    await redis?.stop('SIGTERM');
  });

  it('when the add times out, acks none of the batch; the redelivered batch finds every job and stores none twice', async () => {
    const { logger, lines } = captureLogs();
    const expirations = newQueue({ port, commandTimeoutMs: 300 });
    // Loads Bull's add script on the connection, so the batch's add is one MULTI/EXEC.
    await expirations.scheduleExpiration(newOrderId(), inMs(60_000));
    let frozen = false;
    const scheduler = schedulerWithHook(expirations, () => {
      if (frozen) return;
      frozen = true;
      redis.pause();
    });
    const created = new OrderCreatedListener(bus, { expirations: scheduler, metrics, logger });
    const orders = Array.from({ length: 10 }, () => orderCreated(inMs(60_000)));

    const first = await bus.deliverAll(created, orders);
    redis.resume();
    const redelivered = await bus.deliverAll(created, orders, { deliveryCount: 2 });

    expect(settled(first)).toEqual(orders.map(() => 'nakked'));
    expect(settled(redelivered)).toEqual(orders.map(() => 'acked'));
    expect(
      await jobsPerOrder(
        expirations,
        orders.map((o) => o.id),
      ),
    ).toEqual(orders.map(() => 1));
    expect(await expirations.queue.getDelayedCount()).toBe(11);
    expect(await counterTotal(metrics.duplicatesIgnored)).toBe(10);
    expect(
      lines.find((l) => l.msg === 'scheduling a batch of expirations failed; its orders will be redelivered'),
    ).toEqual(expect.objectContaining({ level: 'warn', orderIds: orders.map((o) => o.id) }));
  });

  it('when the checks time out, stores nothing and acks none; the redelivered batch stores every order once', async () => {
    const expirations = newQueue({ port, commandTimeoutMs: 300 });
    await expirations.ping();
    const created = new OrderCreatedListener(bus, { expirations, metrics, logger: testLogger() });
    const orders = Array.from({ length: 10 }, () => orderCreated(inMs(60_000)));

    redis.pause();
    const first = await bus.deliverAll(created, orders);
    redis.resume();
    const storedByFirst = await jobsPerOrder(
      expirations,
      orders.map((o) => o.id),
    );
    const redelivered = await bus.deliverAll(created, orders, { deliveryCount: 2 });

    expect(settled(first)).toEqual(orders.map(() => 'nakked'));
    expect(storedByFirst).toEqual(orders.map(() => 0));
    expect(settled(redelivered)).toEqual(orders.map(() => 'acked'));
    expect(
      await jobsPerOrder(
        expirations,
        orders.map((o) => o.id),
      ),
    ).toEqual(orders.map(() => 1));
    expect(await counterTotal(metrics.jobsScheduled)).toBe(10);
  });
});
