import { makeOrders } from '../lib/orders';
import { round } from '../lib/stats';
import { sleepUntil } from '../lib/wait';
import { deliveryCounts, lateness, latenessMetrics, waitAllFired } from './firing';
import { cpuDelta, leadMs, storeTimeoutMs, withTarget, type Scenario } from './scenario';

/** How much later than raw Bull + publish (c) the service's last expiration may come. */
const GOAL_FACTOR_OF_RAW_PUBLISH = 1.25;

/**
 * burst: N orders with the same expiresAt; ms from it to the last
 * expiration:complete. The goal compares the service with raw Bull + publish
 * (c), the least any correct expiration service does per job.
 */
export const burst: Scenario = {
  name: 'burst',
  title: 'orders with the same expiresAt; ms from expiresAt to the last expiration:complete',
  params: (s) => ({ orders: s.burst.orders }),
  metrics: [
    { key: 'lastMs', label: 'ms to the last', better: 'lower' },
    { key: 'p50Ms', label: 'p50 ms', better: 'lower' },
    { key: 'perSec', label: 'expirations/s', better: 'higher' },
    { key: 'workerCpuUsPerJob', label: 'worker CPU us/expiration', better: 'lower' },
    { key: 'lost', label: 'lost', better: 'lower' },
  ],
  goal: {
    text: `service: the last expiration <= ${GOAL_FACTOR_OF_RAW_PUBLISH} x raw Bull + publish's, 0 lost`,
    check: (service, all) => {
      const ceiling = all['raw-publish']?.lastMs;
      if (typeof service?.lastMs !== 'number' || typeof ceiling !== 'number') return null;
      return service.lastMs <= GOAL_FACTOR_OF_RAW_PUBLISH * ceiling && service.lost === 0;
    },
    describe: (service, all) => {
      if (typeof service?.lastMs !== 'number') return 'not measured';
      const ceiling = all['raw-publish']?.lastMs;
      const versus =
        typeof ceiling === 'number' && ceiling > 0
          ? `${(service.lastMs / ceiling).toFixed(2)} x raw Bull + publish (${ceiling} ms)`
          : 'raw Bull + publish not measured';
      return `last after ${service.lastMs} ms (${service.perSec}/s), ${versus}, lost ${service.lost}`;
    },
  },
  measure: (name, settings, ctx) =>
    withTarget(name, settings, { label: `burst-${name}`, worker: true }, async (target) => {
      const n = settings.burst.orders;
      const expiresAt = Date.now() + leadMs(ctx, name, n);
      const orders = makeOrders(n, () => expiresAt);
      ctx.progress.phase('storing', n, () => target.storedSoFar);
      await target.submit(orders);
      const storedAt = await target.waitStored(n, storeTimeoutMs(n));
      ctx.progress.phase('waiting for expiresAt');
      await sleepUntil(expiresAt);
      ctx.progress.phase('firing', n, () => target.firings.distinct);
      const cpu0 = target.cpuMs();
      const redisCpu0 = await target.redisCpuMs();
      await waitAllFired(target.firings, n, expiresAt + 120_000);
      const cpu = cpuDelta(cpu0, target.cpuMs());
      const redisCpu = (await target.redisCpuMs()) - redisCpu0;
      const late = lateness(target.firings, orders);
      const lastMs = late.length ? late.reduce((a, b) => Math.max(a, b)) : null;
      return {
        lastMs,
        ...latenessMetrics(late),
        perSec: lastMs ? round((late.length * 1000) / lastMs, 0) : null,
        ...deliveryCounts(target.firings, orders, target.wire),
        storedBeforeExpiry: storedAt <= expiresAt,
        workerCpuUsPerJob: cpu === null ? null : round((cpu * 1000) / n, 0),
        workerCpuShare: cpu === null || !lastMs ? null : round(cpu / lastMs, 2),
        redisCpuUsPerJob: round((redisCpu * 1000) / n, 0),
      };
    }),
};
