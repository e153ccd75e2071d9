import { makeOrders } from '../lib/orders';
import { round } from '../lib/stats';
import { sleepUntil, waitFor } from '../lib/wait';
import { deliveryCounts, lateness, latenessMetrics, waitAllFired } from './firing';
import { leadMs, storeTimeoutMs, withTarget, type Scenario } from './scenario';

/**
 * precision: N orders whose expiresAt are spread evenly over a window; the
 * lateness of each expiration:complete as the benchmark's JetStream subscriber
 * receives it (raw Bull: when its worker starts the job).
 */
export const precision: Scenario = {
  name: 'precision',
  title: 'orders with expiresAt spread evenly; lateness of expiration:complete at a subscriber',
  params: (s) => ({ orders: s.precision.orders, spreadMs: s.precision.spreadMs }),
  metrics: [
    { key: 'p99Ms', label: 'p99 lateness ms', better: 'lower' },
    { key: 'p50Ms', label: 'p50 lateness ms', better: 'lower' },
    { key: 'maxMs', label: 'max lateness ms', better: 'lower' },
    { key: 'lost', label: 'lost', better: 'lower' },
  ],
  goal: {
    text: 'service p99 lateness <= 20 ms',
    check: (service) =>
      service ? typeof service.p99Ms === 'number' && service.p99Ms <= 20 && service.lost === 0 : null,
    describe: (service) =>
      typeof service?.p99Ms === 'number'
        ? `p99 ${service.p99Ms} ms (p50 ${service.p50Ms}, max ${service.maxMs}), lost ${service.lost}`
        : 'not measured',
  },
  measure: (name, settings, ctx) =>
    withTarget(name, settings, { label: `precision-${name}`, worker: true }, async (target) => {
      const { orders: n, spreadMs } = settings.precision;
      const first = Date.now() + leadMs(ctx, name, n);
      const orders = makeOrders(n, (i) => first + (i * spreadMs) / n);
      ctx.progress.phase('storing', n, () => target.storedSoFar);
      await target.submit(orders);
      const storedAt = await target.waitStored(n, storeTimeoutMs(n));
      ctx.progress.phase('firing', n, () => target.firings.distinct);
      await sleepUntil(first + spreadMs);
      await waitAllFired(target.firings, n, Date.now() + 30_000);
      ctx.progress.phase('reading what Redis retains');
      // What stays in Redis once every order has expired: the service keeps
      // completed jobs for its retention window, the course's Bull defaults keep them for ever.
      await waitFor(async () => (await target.sizes()).active === 0, { timeoutMs: 30_000, intervalMs: 50 }).catch(
        () => undefined,
      );
      const retained = await target.memory();
      return {
        ...latenessMetrics(lateness(target.firings, orders)),
        ...deliveryCounts(target.firings, orders, target.wire),
        // Lateness is only meaningful if every job was stored before the first expiry.
        storedBeforeFirstExpiry: storedAt <= first,
        retainedBytesPerOrder: round(retained.bytes / n, 0),
      };
    }),
};
