import Redis from 'ioredis';
import { ExpirationMetrics } from '../../metrics';
import { RedisServerProcess } from '../../test/child-process';
import { REDIS_HOST, destroyQueue, freePort, inMs, newOrderId, waitFor } from '../../test/helpers';
import { testQueue } from '../../test/queue-kit';
import type { ExpirationQueue } from '../expiration-queue';
import { parseInfoMemory } from '../queue-readings';

const queues: ExpirationQueue[] = [];

function newQueue({ port, backoffMs = 50 }: { port?: number; backoffMs?: number } = {}): ExpirationQueue {
  const expirations = testQueue('test-readings', {
    redis: port === undefined ? {} : { port },
    backoffMs,
    backoffMaxMs: Math.max(backoffMs, 200),
  });
  queues.push(expirations);
  return expirations;
}

/** Schedules one new order per delay, each `ms` from now. */
function scheduleIn(expirations: ExpirationQueue, delays: number[]): Promise<unknown> {
  return expirations.scheduleExpirations(delays.map((ms) => ({ orderId: newOrderId(), expiresAt: inMs(ms) })));
}

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => destroyQueue(q)));
});

describe('dueWithin', () => {
  it('counts the delayed jobs due within the window, not those due later', async () => {
    const expirations = newQueue();
    await scheduleIn(expirations, [5_000, 30_000, 50_000, 90_000, 15 * 60_000]);

    expect(await expirations.dueWithin(60_000)).toBe(3);
    expect(await expirations.dueWithin(10_000)).toBe(1);
    expect(await expirations.dueWithin(60 * 60_000)).toBe(5);
  });

  it('leaves out jobs already due, which Bull keeps in wait rather than in delayed', async () => {
    const expirations = newQueue();
    await scheduleIn(expirations, [-5_000, 0, 20_000]);

    expect(await expirations.dueWithin(60_000)).toBe(1);
    expect(await expirations.queue.getWaitingCount()).toBe(2);
  });

  it('counts a job Bull put back in delayed for its retry, which Bull scores the same way', async () => {
    const expirations = newQueue({ backoffMs: 20_000 });
    await scheduleIn(expirations, [-1_000]);

    expirations.process(1, () => Promise.reject(new Error('NATS is down')));
    await waitFor(async () => (await expirations.queue.getDelayedCount()) === 1, 'the retry to be delayed');

    expect(await expirations.dueWithin(60_000)).toBe(1);
    expect(await expirations.dueWithin(10_000)).toBe(0);
  });
});

describe('redisMemory', () => {
  it("reads used_memory and maxmemory from Redis's INFO memory", async () => {
    const expirations = newQueue();
    const [, maxmemory] = (await expirations.redis.config('GET', 'maxmemory')) as [string, string];

    const memory = await expirations.redisMemory();

    expect(memory.usedBytes).toBeGreaterThan(0);
    expect(memory.maxBytes).toBe(Number(maxmemory));
  });

  it('names the field that INFO memory lacks', () => {
    expect(() => parseInfoMemory('# Memory\r\nused_memory:1024\r\n')).toThrow('INFO memory has no numeric maxmemory');
    expect(parseInfoMemory('# Memory\r\nused_memory:1024\r\nused_memory_human:1K\r\nmaxmemory:0\r\n')).toEqual({
      usedBytes: 1024,
      maxBytes: 0,
    });
  });
});

// A redis-server of the test's own, with a memory limit, behind /metrics.
describe('the gauges on a scrape', () => {
  let redis: RedisServerProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await RedisServerProcess.start(port, ['--maxmemory', '64mb']);
  });

  afterAll(async () => {
    await redis?.stop('SIGTERM');
  });

  it('export the jobs due in the next minute and the memory Redis uses and may use', async () => {
    const expirations = newQueue({ port });
    await scheduleIn(expirations, [10_000, 20_000, 120_000]);
    const metrics = new ExpirationMetrics();
    metrics.trackQueue(expirations);
    const admin = new Redis({ host: REDIS_HOST, port });
    const used = parseInfoMemory(await admin.info('memory')).usedBytes;
    await admin.quit();

    const text = await metrics.registry.metrics();

    expect(text).toContain('expiration_due_next_minute 2');
    expect(text).toContain('expiration_redis_maxmemory_bytes 67108864');
    const exported = Number(/^expiration_redis_used_memory_bytes (\d+)$/m.exec(text)?.[1]);
    // Redis's own use moves a little between two reads.
    expect(Math.abs(exported - used)).toBeLessThan(used / 2);
    expect(text).toContain('expiration_queue_jobs{state="delayed"} 3');
  });
});
