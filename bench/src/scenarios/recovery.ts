import { makeOrders } from '../lib/orders';
import type { Progress } from '../lib/progress';
import { sleep, sleepUntil, waitFor } from '../lib/wait';
import { deliveryCounts } from './firing';
import type { BenchSettings, TargetName } from '../config';
import { leadMs, storeTimeoutMs, withTarget, type Metrics, type Scenario, type ScenarioContext } from './scenario';

/** How long nothing may happen, with an empty queue, before the unfired orders count as lost. */
const QUIET_MS = 3_000;

/**
 * recovery: `overdue` orders fall due at once, and the process is SIGKILLed as
 * soon as half of them have fired, so jobs are in flight when it lands;
 * `pending` orders fall due while it is down; it is restarted `downtimeMs`
 * after the kill. Measured: time from the restart until every order has fired,
 * and the lost and duplicate counts.
 *
 * Jobs in flight at the kill come back only when Bull's periodic stalled check
 * finds them, so the result depends on where the kill lands in that cycle.
 * Each repeat starts a fresh process and shifts the kill by a random 0 to
 * `shiftMaxMs` (5 s; quick: 1 s); the figures are the worst repeat (lost and
 * duplicates: the sum), and `recoveryMsRuns` lists every repeat.
 */
export const recovery: Scenario = {
  name: 'recovery',
  title: 'SIGKILL with jobs in flight and pending, restart; time until all are published (worst of the repeats)',
  params: (s) => ({ pending: s.recovery.pending, overdue: s.recovery.overdue, downtimeMs: s.recovery.downtimeMs }),
  metrics: [
    { key: 'recoveryMs', label: 'ms restart to all published', better: 'lower' },
    { key: 'recoveryMsRuns', label: '  each repeat, ms', better: 'lower' },
    { key: 'lost', label: 'lost', better: 'lower' },
    { key: 'duplicates', label: 'duplicates delivered', better: 'lower' },
    { key: 'readyMs', label: 'ms restart to ready', better: 'lower' },
  ],
  goal: {
    text: 'service: 0 lost, all published <= 10 s after the restart',
    check: (service) =>
      service ? service.lost === 0 && typeof service.recoveryMs === 'number' && service.recoveryMs <= 10_000 : null,
    describe: (service) =>
      service
        ? `all published ${service.recoveryMs ?? '(never)'} ms after the restart, lost ${service.lost}, duplicates ${service.duplicates}`
        : 'not measured',
  },
  measure: async (name, settings, ctx) => {
    const runs: Metrics[] = [];
    const { repeats } = settings.recovery;
    for (let i = 0; i < repeats; i++) {
      const step = repeats > 1 ? `${i + 1}/${repeats} ` : '';
      const progress: Progress = { phase: (label, ...rest) => ctx.progress.phase(`${step}${label}`, ...rest) };
      runs.push(
        await recoverOnce(
          name,
          settings,
          { ...ctx, progress },
          Math.round(Math.random() * settings.recovery.shiftMaxMs),
        ),
      );
    }
    return worstOf(runs, settings);
  },
};

/** Worst recovery time and ready time, summed losses and duplicates, and every run's time. */
function worstOf(runs: Metrics[], settings: BenchSettings): Metrics {
  const numbers = (key: string) => runs.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
  const sum = (key: string) => numbers(key).reduce((a, b) => a + b, 0);
  const max = (key: string) => (numbers(key).length ? Math.max(...numbers(key)) : null);
  const lost = sum('lost');
  return {
    recoveryMs: lost === 0 && sum('lateAtTimeout') === 0 ? max('recoveryMs') : null,
    lost,
    duplicates: sum('duplicates'),
    duplicatePublishes: runs.some((r) => r.duplicatePublishes === null) ? null : sum('duplicatePublishes'),
    readyMs: max('readyMs'),
    repeats: runs.length,
    lateAtTimeout: sum('lateAtTimeout'),
    recoveryMsRuns: runs.map((r) => r.recoveryMs ?? (r.lost ? 'lost' : `> ${settings.recovery.timeoutMs}`)).join(' / '),
    firedBeforeKill: runs.map((r) => r.firedBeforeKill).join(' / '),
    stillQueued: sum('stillQueued'),
    storedBeforeKill: runs.every((r) => r.storedBeforeKill === true),
  };
}

/**
 * One recovery: orders stored, the overdue ones half fired, a SIGKILL, a
 * restart `downtimeMs` later, then a wait until every order has fired and the
 * queue is idle.
 *
 * @param name - the target
 * @param settings - the run's settings (`replicas`: how many service processes)
 * @param ctx - progress and the measured ingest rates
 * @param phaseMs - how much later than the earliest moment the overdue orders fall due
 * @param victim - the one service process to kill and restart (0-based); all of them when left out
 * @returns the figures of this one run
 */
export function recoverOnce(
  name: TargetName,
  settings: BenchSettings,
  ctx: ScenarioContext,
  phaseMs: number,
  victim?: number,
): Promise<Metrics> {
  return withTarget(name, settings, { label: `recovery-${name}`, worker: true }, async (target) => {
    const { pending, overdue, downtimeMs, timeoutMs } = settings.recovery;
    const n = pending + overdue;
    const dueAt = Date.now() + leadMs(ctx, name, n) + 500 + phaseMs;
    const overdueOrders = makeOrders(overdue, () => dueAt);
    const orders = [...overdueOrders, ...makeOrders(pending, (i) => dueAt + 100 + (i * (downtimeMs - 200)) / pending)];
    ctx.progress.phase('storing', n, () => target.storedSoFar);
    await target.submit(orders);
    const storedAt = await target.waitStored(n, storeTimeoutMs(n));

    // Kill half-way through the overdue burst, so that jobs are in flight.
    ctx.progress.phase('firing until the kill', overdue, () => target.firings.distinct);
    await sleepUntil(dueAt);
    await waitFor(() => target.firings.seenOf(overdueOrders) >= overdue / 2, { timeoutMs: 30_000, intervalMs: 1 });
    await target.kill(victim);
    const killedAt = Date.now();
    const firedBeforeKill = target.firings.seenOf(orders);
    ctx.progress.phase('killed, restarting');
    await sleepUntil(killedAt + downtimeMs);
    const { spawnedAt, readyAt } = await target.restart(victim);
    ctx.progress.phase('recovering', n, () => target.firings.distinct);

    // Wait until every order has fired AND the queue is idle: jobs that were
    // in flight at the kill run again once Bull sees them as stalled, and a
    // second run is a duplicate to count. Stop early if the queue is idle and
    // nothing has happened for a while (the rest is lost), or at the timeout.
    const deadline = spawnedAt + timeoutMs;
    let sizes;
    for (;;) {
      sizes = await target.sizes();
      const idle = sizes.delayed + sizes.waiting + sizes.active === 0;
      const quietFor = Date.now() - Math.max(target.firings.lastRecordAt, readyAt);
      const allFired = target.firings.seenOf(orders) === n;
      if (idle && quietFor > (allFired ? 1_000 : QUIET_MS)) break;
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    let last = 0;
    for (const order of orders) last = Math.max(last, target.firings.first(order.id) ?? 0);
    const counts = deliveryCounts(target.firings, orders, target.wire);
    // Orders whose jobs are still queued at the timeout are late, not lost.
    const unpublished = Number(counts.lost);
    const late = Math.min(unpublished, sizes.delayed + sizes.waiting + sizes.active);
    return {
      recoveryMs: unpublished === 0 ? Math.max(0, last - spawnedAt) : null,
      // With replicas left running, the work goes on before the restart.
      killToAllMs: unpublished === 0 ? Math.max(0, last - killedAt) : null,
      ...counts,
      lost: unpublished - late,
      lateAtTimeout: late,
      readyMs: readyAt - spawnedAt,
      firedBeforeKill,
      storedBeforeKill: storedAt <= killedAt,
      // Jobs still queued when the wait ended: with a lost count above zero,
      // they were late (beyond the timeout), not gone.
      stillQueued: sizes.delayed + sizes.waiting + sizes.active,
      waitedMs: Date.now() - spawnedAt,
      phaseMs,
    };
  });
}
