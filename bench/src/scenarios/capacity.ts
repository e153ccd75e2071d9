import Redis from 'ioredis';
import type { BenchSettings, TargetName } from '../config';
import { makeOrders } from '../lib/orders';
import type { Progress } from '../lib/progress';
import { usedMemory } from '../lib/redis-tools';
import { round } from '../lib/stats';
import { sleep } from '../lib/wait';
import { BusTarget } from '../targets/bus-target';
import { RawBullTarget } from '../targets/raw-bull-target';
import type { Target } from '../targets/target';
import { storeTimeoutMs, type Metrics, type Scenario } from './scenario';

/**
 * capacity: N pending expirations; Redis bytes per pending expiration. The
 * service's jobs arrive as real order:created events. The baseline's and raw
 * Bull's are stored with `addBulk` in exactly the shape their `add` stores (a
 * job's size does not depend on how it was added), which saves minutes.
 *
 * The figure is the sum of MEMORY USAGE over the space's keys, so other
 * tenants of the shared Redis do not blur it; the `used_memory` difference is
 * reported beside it.
 */
export const capacity: Scenario = {
  name: 'capacity',
  title: 'pending expirations; Redis bytes per pending expiration',
  params: (s) => ({ jobs: s.capacity.jobs }),
  metrics: [
    { key: 'bytesPerJob', label: 'Redis bytes per pending', better: 'lower' },
    { key: 'usedMemoryPerJob', label: 'used_memory delta per job', better: 'lower' },
    { key: 'jobEncoding', label: 'job hash encoding', better: 'lower' },
  ],
  goal: {
    text: 'service <= 1024 bytes of Redis per pending expiration',
    check: (service) => (typeof service?.bytesPerJob === 'number' ? service.bytesPerJob <= 1024 : null),
    describe: (service) =>
      typeof service?.bytesPerJob === 'number' ? `${service.bytesPerJob} bytes per pending expiration` : 'not measured',
  },
  // Its job is raw Bull's, byte for byte, and it starts no worker here: the figure would be (b)'s again.
  skips: { 'raw-publish': "stores raw Bull's job: see raw Bull (b)" },
  measure: async (name, settings, ctx) => {
    const target = await openCapacityTarget(name, settings);
    try {
      return await measureMemory(target, settings.capacity.jobs, settings.redis, ctx.progress);
    } finally {
      await target.close();
    }
  },
};

function openCapacityTarget(name: TargetName, settings: BenchSettings): Promise<Target> {
  const options = { label: `capacity-${name}`, worker: false };
  if (name === 'service') return BusTarget.open('service', settings, options);
  return RawBullTarget.open(settings, options, name === 'naive' ? 'naive' : 'raw');
}

async function measureMemory(
  target: Target,
  n: number,
  redis: BenchSettings['redis'],
  progress: Progress,
): Promise<Metrics> {
  const probe = new Redis(redis);
  try {
    const before = await usedMemory(probe);
    const expiresAt = Date.now() + 24 * 3_600_000;
    progress.phase('storing', n, () => target.storedSoFar);
    const span = await target.submit(makeOrders(n, () => expiresAt));
    const storedAt = await target.waitStored(n, storeTimeoutMs(n));
    progress.phase('reading memory');
    // Let the service finish logging and acking before reading memory.
    await sleep(500);
    const after = await usedMemory(probe);
    const { keys, bytes } = await target.memory();
    const sizes = await target.sizes();
    const sample = await target.sampleJob();
    return {
      jobs: n,
      pending: sizes.delayed,
      keys,
      bytes,
      bytesPerJob: round(bytes / n, 0),
      usedMemoryDelta: after - before,
      usedMemoryPerJob: round((after - before) / n, 0),
      ingestEventsPerSec: round((n * 1000) / (storedAt - span.startedAt), 0),
      jobEncoding: sample?.encoding ?? null,
      longestJobField: sample ? `${sample.longestField} (${sample.longestValueBytes} bytes)` : null,
    };
  } finally {
    await probe.quit();
  }
}
