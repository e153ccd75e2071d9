import type { Progress } from '../lib/progress';
import { burst } from './burst';
import { recoverOnce } from './recovery';
import type { Metrics, MetricSpec, Scenario, ScenarioContext } from './scenario';

/** The numbers of service processes compared. */
export const REPLICA_COUNTS = [1, 3] as const;

const WHY_SERVICE_ONLY = 'has one worker process: replicas are a property of the service';

/** The table's rows, for each replica count. */
const PER_COUNT: Array<MetricSpec & { from: 'burst' | 'recovery'; source: string }> = [
  { key: 'burstLastMs', label: 'burst: ms to the last', better: 'lower', from: 'burst', source: 'lastMs' },
  { key: 'burstPerSec', label: 'burst: expirations/s', better: 'higher', from: 'burst', source: 'perSec' },
  {
    key: 'burstCpuUsPerJob',
    label: 'burst: service CPU us/expiration',
    better: 'lower',
    from: 'burst',
    source: 'workerCpuUsPerJob',
  },
  {
    key: 'killToAllMs',
    label: 'recovery: ms from the kill to all published',
    better: 'lower',
    from: 'recovery',
    source: 'killToAllMs',
  },
  { key: 'lost', label: 'lost (burst + recovery)', better: 'lower', from: 'recovery', source: 'lost' },
  {
    key: 'duplicates',
    label: 'duplicates delivered (burst + recovery)',
    better: 'lower',
    from: 'recovery',
    source: 'duplicates',
  },
  {
    key: 'duplicatePublishes',
    label: 'publishes dropped as duplicates',
    better: 'lower',
    from: 'recovery',
    source: 'duplicatePublishes',
  },
];

const replicaWord = (n: number) => `${n} ${n === 1 ? 'replica' : 'replicas'}`;

/**
 * replicas: the burst and the recovery, on the service only, with 1 and with
 * 3 service processes on the same Bull queue and the same durable consumers.
 * In the recovery only the first process is SIGKILLed (with jobs in flight)
 * and restarted after `downtimeMs`; with 3, the other two go on meanwhile and
 * pick up its stalled jobs once their locks expire. Its headline is the time
 * from the kill, not the restart, to the last expiration.
 *
 * The figures are what they are on the machine they ran on: replicas share its
 * cores, so on a small machine a third process adds start-up and contention
 * rather than capacity. No scaling is claimed from them.
 */
export const replicas: Scenario = {
  name: 'replicas',
  title: `burst and recovery with ${REPLICA_COUNTS.join(' and ')} service processes on one queue (one SIGKILLed)`,
  params: (s) => ({
    burstOrders: s.burst.orders,
    pending: s.recovery.pending,
    overdue: s.recovery.overdue,
    downtimeMs: s.recovery.downtimeMs,
  }),
  metrics: REPLICA_COUNTS.flatMap((n) =>
    PER_COUNT.map(({ key, label, better }) => ({ key: `${key}${n}`, label: `${label}, ${replicaWord(n)}`, better })),
  ),
  skips: { naive: WHY_SERVICE_ONLY, raw: WHY_SERVICE_ONLY, 'raw-publish': WHY_SERVICE_ONLY },
  goal: {
    text: `service: 0 lost and 0 duplicates delivered with ${REPLICA_COUNTS.join(' and ')} replicas`,
    check: (service) => {
      if (!service) return null;
      return REPLICA_COUNTS.every((n) => service[`lost${n}`] === 0 && service[`duplicates${n}`] === 0);
    },
    describe: (service) =>
      service
        ? REPLICA_COUNTS.map(
            (n) =>
              `${replicaWord(n)}: burst last after ${service[`burstLastMs${n}`] ?? '-'} ms, all published ` +
              `${service[`killToAllMs${n}`] ?? '(never)'} ms after the kill, lost ${service[`lost${n}`]}, ` +
              `duplicates ${service[`duplicates${n}`]}`,
          ).join('; ')
        : 'not measured',
  },
  measure: async (name, settings, ctx) => {
    const metrics: Metrics = {};
    for (const n of REPLICA_COUNTS) {
      const withN = { ...settings, replicas: n };
      const burstRun = await burst.measure(name, withN, prefixed(ctx, `${replicaWord(n)}, burst: `));
      const recoveryRun = await recoverOnce(
        name,
        withN,
        prefixed(ctx, `${replicaWord(n)}, recovery: `),
        Math.round(Math.random() * settings.recovery.shiftMaxMs),
        0,
      );
      const runs = { burst: burstRun, recovery: recoveryRun };
      for (const m of PER_COUNT) metrics[`${m.key}${n}`] = runs[m.from][m.source] ?? null;
      // Losses and duplicates of both runs: the burst can lose or double an expiration too.
      for (const key of ['lost', 'duplicates'] as const) {
        metrics[`${key}${n}`] = Number(burstRun[key] ?? 0) + Number(recoveryRun[key] ?? 0);
      }
    }
    return metrics;
  },
};

/** The context, with every progress phase prefixed. */
function prefixed(ctx: ScenarioContext, prefix: string): ScenarioContext {
  const progress: Progress = { phase: (label, ...rest) => ctx.progress.phase(`${prefix}${label}`, ...rest) };
  return { ...ctx, progress };
}
