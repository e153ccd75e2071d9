import { makeOrders } from '../lib/orders';
import { round } from '../lib/stats';
import { cpuDelta, storeTimeoutMs, withTarget, type Scenario } from './scenario';

/** The share of raw Bull's `addBulk` rate the service must reach. */
const GOAL_SHARE_OF_RAW = 0.6;

/**
 * ingest: N order:created events published as fast as NATS acks them; events
 * per second from the first publish until every job is stored in Redis. The
 * raw targets store the same N jobs with pipelined `addBulk` instead.
 */
export const ingest: Scenario = {
  name: 'ingest',
  title: 'order:created events published as fast as possible; events/s until every job is stored',
  params: (s) => ({ events: s.ingest.events }),
  metrics: [
    { key: 'eventsPerSec', label: 'events/s stored', better: 'higher' },
    { key: 'ms', label: 'ms until all stored', better: 'lower' },
    { key: 'publishMs', label: 'ms publishing', better: 'lower' },
    { key: 'workerCpuUsPerEvent', label: 'worker CPU us/event', better: 'lower' },
    { key: 'redisCpuUsPerEvent', label: 'Redis CPU us/event', better: 'lower' },
  ],
  goal: {
    text: `service >= ${GOAL_SHARE_OF_RAW * 100} % of raw Bull's addBulk rate`,
    check: (service, all) =>
      typeof service?.eventsPerSec === 'number' && typeof all.raw?.eventsPerSec === 'number'
        ? service.eventsPerSec >= GOAL_SHARE_OF_RAW * all.raw.eventsPerSec
        : null,
    describe: (service, all) =>
      typeof service?.eventsPerSec === 'number' && typeof all.raw?.eventsPerSec === 'number'
        ? `${Math.round((100 * service.eventsPerSec) / all.raw.eventsPerSec)} % of raw Bull (${service.eventsPerSec} vs ${all.raw.eventsPerSec} events/s)`
        : 'not measured',
  },
  measure: (name, settings, ctx) =>
    withTarget(name, settings, { label: `ingest-${name}`, worker: false }, async (target) => {
      const n = settings.ingest.events;
      // Far enough ahead that nothing fires while it is measured.
      const expiresAt = Date.now() + 24 * 3_600_000;
      const orders = makeOrders(n, () => expiresAt);
      const cpu0 = target.cpuMs();
      const redisCpu0 = await target.redisCpuMs();
      ctx.progress.phase('storing', n, () => target.storedSoFar);
      const submitting = target.submit(orders);
      const storedAt = await target.waitStored(n, storeTimeoutMs(n));
      const span = await submitting;
      const cpu = cpuDelta(cpu0, target.cpuMs());
      const redisCpu = (await target.redisCpuMs()) - redisCpu0;
      const ms = storedAt - span.startedAt;
      const eventsPerSec = (n * 1000) / ms;
      ctx.ingestRate[name] = eventsPerSec;
      return {
        events: n,
        ms,
        eventsPerSec: round(eventsPerSec, 0),
        publishMs: span.endedAt - span.startedAt,
        // Where the time goes: CPU of the worker (raw Bull: the producer) and of Redis, per event.
        workerCpuUsPerEvent: cpu === null ? null : round((cpu * 1000) / n, 0),
        workerCpuShare: cpu === null ? null : round(cpu / ms, 2),
        redisCpuUsPerEvent: round((redisCpu * 1000) / n, 0),
      };
    }),
};
