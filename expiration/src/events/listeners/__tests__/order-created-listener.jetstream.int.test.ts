import { Subjects, durableName, type JetStreamBus } from '@grider-ms-tickets/common';
import { ExpirationMetrics } from '../../../metrics';
import { expirationJobId } from '../../../queues/expiration-job-id';
import type { ExpirationQueue } from '../../../queues/expiration-queue';
import {
  OrderCreatedPublisher,
  connectTestBus,
  consumerCounts,
  deleteStreamAndClose,
  destroyQueue,
  inMs,
  orderCreated,
  testLogger,
  testNames,
  waitFor,
} from '../../../test/helpers';
import { counterTotal, testQueue } from '../../../test/queue-kit';
import { OrderCreatedListener } from '../order-created-listener';

// The listener on real NATS JetStream, with its own stream and subject prefix
// (deleted afterwards), and real Redis under its own queue prefix.
describe('OrderCreatedListener on JetStream', () => {
  const names = testNames('created-batch');
  let bus: JetStreamBus;
  let expirations: ExpirationQueue;
  let listener: OrderCreatedListener | undefined;

  beforeAll(async () => {
    bus = await connectTestBus(names);
    expirations = testQueue('test-created-jetstream');
  });

  afterAll(async () => {
    await listener?.close();
    await destroyQueue(expirations);
    await deleteStreamAndClose(bus);
  });

  it('stores a backlog of 600 order:created in large batches, once per order, with each correlation id, and acks every message once', async () => {
    const orders = Array.from({ length: 600 }, () => orderCreated(inMs(60 * 60_000)));
    const copies = orders.slice(0, 40);
    const publisher = new OrderCreatedPublisher(bus);
    for (const order of [...orders, ...copies]) {
      await publisher.publish(order, { correlationId: `req-${order.id}` });
    }
    await bus.publish(Subjects.OrderCreated, '{not json');
    await bus.publish(Subjects.OrderCreated, JSON.stringify({ ...orders[0], expiresAt: 'tomorrow' }));
    const metrics = new ExpirationMetrics();
    listener = new OrderCreatedListener(bus, { expirations, metrics, logger: testLogger() });
    const schedule = jest.spyOn(expirations, 'scheduleExpirations');

    await listener.listen();
    const durable = durableName(listener.queueGroupName, Subjects.OrderCreated);
    const consumer = await waitFor(
      async () => {
        const counts = await consumerCounts(bus, durable);
        return counts.num_pending === 0 && counts.num_ack_pending === 0 ? counts : undefined;
      },
      'every message to be acked',
      { timeoutMs: 30_000 },
    );
    const jobs = await Promise.all(orders.map((o) => expirations.queue.getJob(expirationJobId(o.id))));

    expect(consumer.num_redelivered).toBe(0);
    expect(consumer.config.ack_wait).toBe(45_000 * 1e6);
    expect(await expirations.queue.getDelayedCount()).toBe(600);
    expect(jobs.map((job) => job?.data)).toEqual(orders.map((o) => ({ orderId: o.id, correlationId: `req-${o.id}` })));
    expect(await counterTotal(metrics.jobsScheduled)).toBe(600);
    expect(await counterTotal(metrics.duplicatesIgnored)).toBe(40);
    expect(await counterTotal(metrics.invalidEvents)).toBe(2);
    const sizes = schedule.mock.calls.map(([requests]) => requests.length);
    expect(sizes.reduce((sum, n) => sum + n, 0)).toBe(640);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(640 / sizes.length).toBeGreaterThan(50);
  });
});
