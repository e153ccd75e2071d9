import { randomUUID } from 'node:crypto';
import { CORRELATION_ID_HEADER, Subjects, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { OrderCancelledListener } from '../events/listeners/order-cancelled-listener';
import { OrderCreatedListener } from '../events/listeners/order-created-listener';
import { ExpirationMetrics } from '../metrics';
import { expirationJobId } from '../queues/expiration-job-id';
import type { ExpirationQueue } from '../queues/expiration-queue';
import { captureLogs, type LogLine } from '@grider-ms-tickets/common/testing';
import { destroyQueue, inMs, newOrderId, orderCreated, waitFor } from '../test/helpers';
import { processExpirations, testQueue } from '../test/queue-kit';

// One order's correlation id, from the header of its order:created, through
// its job, to the header of its expiration:complete and every log line about it.
describe('the correlation id of an order', () => {
  let expirations: ExpirationQueue;
  let bus: FakeEventBus;
  let metrics: ExpirationMetrics;
  let logs: { lines: LogLine[] };
  let created: OrderCreatedListener;

  beforeEach(() => {
    const { logger, lines } = captureLogs();
    logs = { lines };
    expirations = testQueue('test-correlation', { logger });
    bus = new FakeEventBus();
    metrics = new ExpirationMetrics();
    created = new OrderCreatedListener(bus, { expirations, metrics, logger });
    processExpirations(expirations, { bus, metrics, logger });
  });

  afterEach(async () => {
    await destroyQueue(expirations);
  });

  const published = () => bus.published.filter((e) => e.subject === Subjects.ExpirationComplete);
  const linesAbout = (orderId: string) => logs.lines.filter((l) => l.orderId === orderId);

  it('goes from the header of order:created into its job, and onto the header of its expiration:complete', async () => {
    const order = orderCreated(inMs(200));

    await bus.deliver(created, order, { headers: { [CORRELATION_ID_HEADER]: 'req-4f1c' } });
    const job = await expirations.queue.getJob(expirationJobId(order.id));
    await waitFor(() => published().length > 0, 'the expiration');

    expect(job?.data).toEqual({ orderId: order.id, correlationId: 'req-4f1c' });
    expect(published()).toEqual([
      {
        subject: Subjects.ExpirationComplete,
        data: { orderId: order.id },
        msgId: `expiration:complete:${order.id}`,
        headers: { [CORRELATION_ID_HEADER]: 'req-4f1c' },
      },
    ]);
  });

  it('is logged with the order id when the order is scheduled and when it expires', async () => {
    const order = orderCreated(inMs(0));

    await bus.deliver(created, order, { headers: { [CORRELATION_ID_HEADER]: 'req-77' } });
    await waitFor(() => linesAbout(order.id).some((l) => l.msg === 'expiration:complete published'), 'the expiration');

    expect(linesAbout(order.id).map((l) => [l.level, l.msg, l.correlationId])).toEqual([
      ['debug', 'expiration scheduled', 'req-77'],
      ['debug', 'expiration:complete published', 'req-77'],
    ]);
  });

  it('is on the warning of a failed publish, next to the order id', async () => {
    const order = orderCreated(inMs(0));
    bus.failNextPublishes(1);

    await bus.deliver(created, order, { headers: { [CORRELATION_ID_HEADER]: 'req-9' } });
    await waitFor(() => published().length > 0, 'the expiration, on its second try');

    expect(linesAbout(order.id).find((l) => l.level === 'warn')).toEqual(
      expect.objectContaining({ msg: 'publishing expiration:complete failed; will retry', correlationId: 'req-9' }),
    );
  });

  it('is logged with the order id when its order:cancelled arrives', async () => {
    const { logger, lines } = captureLogs();
    const cancelled = new OrderCancelledListener(bus, { expirations, metrics, logger });
    const data: OrderCancelledEvent['data'] = { id: newOrderId(), version: 1, ticket: { id: newOrderId() } };

    await bus.deliver(cancelled, data, { headers: { [CORRELATION_ID_HEADER]: 'req-c4' } });

    expect(lines.find((l) => l.msg === 'order cancelled; expiration dropped')).toEqual(
      expect.objectContaining({ level: 'debug', orderId: data.id, correlationId: 'req-c4' }),
    );
  });

  it('is absent when order:created had none, as on NATS Streaming: the job is {orderId} and the publish has no header', async () => {
    const order = orderCreated(inMs(0));

    await bus.deliver(created, order);
    await waitFor(() => published().length > 0, 'the expiration');
    const job = await expirations.queue.getJob(expirationJobId(order.id));

    expect(job?.data).toEqual({ orderId: order.id });
    expect(published()[0]).not.toHaveProperty('headers');
    expect(linesAbout(order.id).every((l) => !('correlationId' in l))).toBe(true);
  });

  it('keeps a pending expiration under 1 KB of Redis memory with a request id (a UUID) as correlation id', async () => {
    // Enough jobs for Redis to keep the delayed set as a skiplist, as under real load.
    const orders = Array.from({ length: 2_000 }, () => orderCreated(inMs(60 * 60_000)));

    await bus.deliverAll(created, orders, () => ({ headers: { [CORRELATION_ID_HEADER]: randomUUID() } }));
    // As bench/ measures capacity: every key under the queue's prefix, over the pending jobs.
    const keys = await expirations.redis.keys(`${expirations.queue.toKey('')}*`);
    const bytes = await Promise.all(keys.map((key) => expirations.redis.memory('USAGE', key, 'SAMPLES', 0)));
    const job = await expirations.queue.getJob(expirationJobId(orders[7].id));

    expect(job?.data.correlationId).toMatch(/^[0-9a-f-]{36}$/);
    expect(await expirations.queue.getDelayedCount()).toBe(2_000);
    expect(bytes.reduce((sum: number, b) => sum + (b ?? 0), 0) / 2_000).toBeLessThan(1024);
  });
});
