import { ExpirationMetrics, type QueueReadings } from '../metrics';

/** Readings that answer from `values`, or fail while `failing` is set, counting the INFO reads. */
function readings(values: { due: number; used: number; max: number }) {
  const state = { failing: false, memoryReads: 0 };
  const fail = () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379'));
  const source: QueueReadings = {
    counts: () => (state.failing ? fail() : Promise.resolve({ delayed: 4, waiting: 0, active: 1, failed: 0 })),
    dueWithin: () => (state.failing ? fail() : Promise.resolve(values.due)),
    redisMemory: () => {
      state.memoryReads++;
      return state.failing ? fail() : Promise.resolve({ usedBytes: values.used, maxBytes: values.max });
    },
  };
  return { source, state };
}

describe('ExpirationMetrics', () => {
  it('reads Redis memory once per scrape for both memory gauges', async () => {
    const metrics = new ExpirationMetrics();
    const { source, state } = readings({ due: 2, used: 5_000_000, max: 100_000_000 });
    metrics.trackQueue(source);

    const text = await metrics.registry.metrics();

    expect(text).toContain('expiration_redis_used_memory_bytes 5000000');
    expect(text).toContain('expiration_redis_maxmemory_bytes 100000000');
    expect(state.memoryReads).toBe(1);
  });

  it('keeps the last values of the Redis gauges through a scrape while Redis is unreachable', async () => {
    const metrics = new ExpirationMetrics();
    const { source, state } = readings({ due: 3, used: 7_000_000, max: 0 });
    metrics.trackQueue(source);
    await metrics.registry.metrics();

    state.failing = true;
    const text = await metrics.registry.metrics();

    expect(text).toContain('expiration_due_next_minute 3');
    expect(text).toContain('expiration_redis_used_memory_bytes 7000000');
    expect(text).toContain('expiration_redis_maxmemory_bytes 0');
    expect(text).toContain('expiration_queue_jobs{state="delayed"} 4');
  });

  it('exports the gauges at 0 until a queue is tracked', async () => {
    const text = await new ExpirationMetrics().registry.metrics();

    expect(text).toContain('expiration_due_next_minute 0');
    expect(text).toContain('expiration_redis_maxmemory_bytes 0');
  });
});
