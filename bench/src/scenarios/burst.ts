import { makeOrders } from '../lib/orders';
import { round } from '../lib/stats';
import { sleepUntil } from '../lib/wait';
import { deliveryCounts, lateness, latenessMetrics, waitAllFired } from './firing';
import { cpuDelta, leadMs, storeTimeoutMs, withTarget, type Scenario } from './scenario';

/** burst: N orders with the same expiresAt; ms from it to the last expiration:complete. */
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
    text: 'service: the last expiration <= 1000 ms after expiresAt',
    check: (service) =>
      service ? typeof service.lastMs === 'number' && service.lastMs <= 1_000 && service.lost === 0 : null,
    describe: (service) =>
      typeof service?.lastMs === 'number'
        ? `last after ${service.lastMs} ms (${service.perSec}/s), lost ${service.lost}`
        : 'not measured',
  },
  measure: (name, settings, ctx) =>
    withTarget(name, settings, { label: `burst-${name}`, worker: true }, async (target) => {
      const n = settings.burst.orders;
      const expiresAt = Date.now() + leadMs(ctx, name, n);
      const orders = makeOrders(n, () => expiresAt);
      await target.submit(orders);
      const storedAt = await target.waitStored(n, storeTimeoutMs(n));
      await sleepUntil(expiresAt);
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
