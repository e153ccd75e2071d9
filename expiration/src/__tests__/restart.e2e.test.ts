import Redis from 'ioredis';
import type { JetStreamBus } from '@grider-ms-tickets/common';
import { expirationJobId } from '../queues/expiration-job-id';
import { ServiceProcess } from '../test/child-process';
import {
  ExpirationCollector,
  OrderCreatedPublisher,
  REDIS_HOST,
  REDIS_PORT,
  connectTestBus,
  deleteQueueKeys,
  deleteStreamAndClose,
  freePort,
  inMs,
  orderCreated,
  testEnv,
  testNames,
  waitFor,
} from '../test/helpers';

// The service as a real process (node + tsx, from the sources), against the
// machine's Redis and NATS JetStream, stopped and restarted the hard way.
describe('the expiration service as a process', () => {
  const names = testNames('restart');
  let bus: JetStreamBus;
  let collector: ExpirationCollector;
  let redis: Redis;
  const children: ServiceProcess[] = [];

  async function startService(): Promise<ServiceProcess> {
    const port = await freePort();
    const child = ServiceProcess.start(testEnv(names, { HEALTH_PORT: String(port), LOG_LEVEL: 'debug' }));
    children.push(child);
    await child.ready();
    return child;
  }

  const jobStored = async (orderId: string) =>
    (await redis.exists(`${names.queuePrefix}:order:expiration:${expirationJobId(orderId)}`)) === 1;

  beforeAll(async () => {
    bus = await connectTestBus(names);
    collector = new ExpirationCollector(bus);
    await collector.listen();
    redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT });
  });

  afterAll(async () => {
    await Promise.all(children.map((child) => child.stop('SIGKILL')));
    await redis.quit();
    await deleteQueueKeys(names.queuePrefix);
    await deleteStreamAndClose(bus);
  });

  it('when killed with SIGKILL while jobs are pending, publishes every expiration after a restart', async () => {
    const first = await startService();
    const orders = Array.from({ length: 10 }, (_, i) => orderCreated(inMs(4_000 + i * 100)));
    for (const order of orders) await new OrderCreatedPublisher(bus).publish(order);
    await waitFor(
      async () => (await Promise.all(orders.map((o) => jobStored(o.id)))).every(Boolean),
      'every job to be stored',
    );

    const killed = await first.stop('SIGKILL');
    const expiredBeforeTheKill = orders.filter((o) => collector.count(o.id) > 0).length;
    const second = await startService();
    await collector.waitForAll(
      orders.map((o) => o.id),
      60_000,
    );

    expect(killed.signal).toBe('SIGKILL');
    expect(expiredBeforeTheKill).toBe(0);
    for (const order of orders) expect(collector.count(order.id)).toBeGreaterThanOrEqual(1);
    // JetStream drops a repeated message id, so even a publish retried across the crash arrives once.
    const duplicates = orders.filter((o) => collector.count(o.id) > 1).map((o) => o.id);
    expect(duplicates).toEqual([]);
    // The subscriber can see the last expiration before the child's log line about it is read.
    await waitFor(
      () => second.logs('expiration:complete published').length >= orders.length,
      'every publish to be logged',
    );
    expect(second.logs('expiration:complete published')).toHaveLength(orders.length);

    const stopped = await second.stop('SIGTERM');
    expect(stopped).toEqual({ code: 0, signal: null });
    expect(second.logs('shutdown complete')).toHaveLength(1);
  }, 120_000);

  it('an order that expired while the service was stopped is published at once after a restart', async () => {
    const first = await startService();
    expect(await first.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    const expiresAt = inMs(1_000);
    const order = orderCreated(expiresAt);

    await new OrderCreatedPublisher(bus).publish(order);
    // The service is down when the order expires.
    await waitFor(() => Date.now() > expiresAt.getTime() + 1_000, 'expiresAt to pass');
    await startService();
    const readyAt = Date.now();
    const [arrivedAt] = await collector.waitForAll([order.id], 30_000);

    expect(arrivedAt - readyAt).toBeLessThan(3_000);
    expect(collector.count(order.id)).toBe(1);
  }, 120_000);

  it('with a bad environment, exits 1 with one message naming every bad variable', async () => {
    const child = ServiceProcess.start({
      EVENT_BUS: 'jetstream',
      NATS_URL: 'not a url',
      REDIS_PORT: 'six',
      EXPIRATION_CONCURRENCY: '0',
      HEALTH_PORT: '8080',
    });
    children.push(child);

    const exit = await child.exited;

    expect(exit.code).toBe(1);
    const message = child.output.join('\n');
    for (const name of ['NATS_URL', 'REDIS_HOST', 'REDIS_PORT', 'EXPIRATION_CONCURRENCY']) {
      expect(message).toContain(name);
    }
  }, 60_000);
});
