import type { JetStreamBus } from '@grider-ms-tickets/common';
import type { ExpirationService } from '../service';
import { startTestService, stopTestService } from '../test/test-service';
import { expirationJobId } from '../queues/expiration-job-id';
import {
  ExpirationCollector,
  OrderCancelledPublisher,
  OrderCreatedPublisher,
  connectTestBus,
  deleteStreamAndClose,
  inMs,
  newOrderId,
  orderCreated,
  testNames,
  waitFor,
} from '../test/helpers';

// The whole path over real NATS JetStream and real Redis, with the service in
// this process; its own stream, subject prefix and queue prefix.
describe('the expiration service (Redis + NATS JetStream)', () => {
  const names = testNames('service');
  let service: ExpirationService;
  let bus: JetStreamBus;
  let collector: ExpirationCollector;
  const exit = jest.fn();

  beforeAll(async () => {
    bus = await connectTestBus(names);
    collector = new ExpirationCollector(bus);
    await collector.listen();
    service = await startTestService(names, { exit });
  });

  afterAll(async () => {
    await stopTestService(service);
    await deleteStreamAndClose(bus);
  });

  const url = (path: string) => `http://127.0.0.1:${service.port}${path}`;

  it('is ready once Redis and NATS are connected', async () => {
    const res = await fetch(url('/readyz'));

    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { redis: 'ok', nats: 'ok' } });
  });

  it('publishes expiration:complete when an order expires, not before', async () => {
    const expiresAt = inMs(1_500);
    const order = orderCreated(expiresAt);

    await new OrderCreatedPublisher(bus).publish(order);
    const [arrivedAt] = await collector.waitForAll([order.id]);

    // How soon after is measured by the bench (precision), not asserted here.
    expect(arrivedAt).toBeGreaterThanOrEqual(expiresAt.getTime());
  });

  it('when the same order:created is published twice, publishes one expiration', async () => {
    const order = orderCreated(inMs(1_000));
    const control = orderCreated(inMs(1_500));

    await new OrderCreatedPublisher(bus).publish(order);
    await new OrderCreatedPublisher(bus).publish(order);
    await new OrderCreatedPublisher(bus).publish(control);
    await collector.waitForAll([order.id, control.id]);

    expect(collector.count(order.id)).toBe(1);
    expect(collector.count(control.id)).toBe(1);
  });

  it('when the order is cancelled before it expires, publishes nothing for it', async () => {
    const order = orderCreated(inMs(1_000));
    const control = orderCreated(inMs(1_500));
    await new OrderCreatedPublisher(bus).publish(order);
    await new OrderCreatedPublisher(bus).publish(control);
    await waitFor(() => service.expirations.queue.getJob(expirationJobId(order.id)), 'the job to be stored');

    await new OrderCancelledPublisher(bus).publish({ id: order.id, version: 1, ticket: { id: newOrderId() } });
    await collector.waitForAll([control.id]);

    expect(collector.count(order.id)).toBe(0);
  });

  it('sends the correlation id of order:created on the header of its expiration:complete', async () => {
    const order = orderCreated(inMs(500));

    await new OrderCreatedPublisher(bus).publish(order, { correlationId: 'req-service-1' });
    await collector.waitForAll([order.id]);

    expect(collector.correlationIds.get(order.id)).toBe('req-service-1');
  });

  it('counts what it did on /metrics', async () => {
    const res = await fetch(url('/metrics'));
    const text = await res.text();

    expect(res.status).toBe(200);
    expect(text).toMatch(/^expiration_jobs_scheduled_total [1-9]/m);
    expect(text).toMatch(/^expiration_duplicates_ignored_total [1-9]/m);
    expect(text).toMatch(/^expiration_published_total [1-9]/m);
    expect(text).toMatch(/^expiration_lateness_seconds_count [1-9]/m);
    expect(text).toMatch(/^expiration_due_next_minute \d+$/m);
    expect(text).toMatch(/^expiration_redis_used_memory_bytes [1-9]\d*$/m);
    expect(text).toMatch(/^expiration_redis_maxmemory_bytes \d+$/m);
  });

  it('shuts down once, closing everything, even when asked twice', async () => {
    await Promise.all([service.shutdown('first'), service.shutdown('second')]);

    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
    expect(service.bus.isConnected()).toBe(false);
    expect(service.server.listening).toBe(false);
    await waitFor(() => service.expirations.redis.status === 'end', 'the Redis connection to end', {
      timeoutMs: 5_000,
    });
  });
});
