/**
 * Three expiration replicas on one Redis and one JetStream stream, one of them
 * SIGKILLed with jobs in flight: no expiration is lost, none fires for a
 * cancelled order, and none reaches a durable consumer twice, though a job the
 * victim had published is published again by the survivor that picks it up
 * (the stream drops that copy by its message id, `expiration:complete:<orderId>`).
 */
import {
  LATE_MS,
  ORDERS,
  REPLICAS,
  runExpirationReplicasScenario,
  type ExpirationReplicasRun,
} from './expiration-replicas-scenario';
import { ScenarioVerdict } from './scenario-verdict';

const verdict = new ScenarioVerdict('expiration-replicas');
let run: ExpirationReplicasRun;

beforeAll(async () => {
  run = await runExpirationReplicasScenario();
  const figures = figuresOf(run);
  console.log(`[faults] expiration-replicas figures: ${JSON.stringify(figures)}`);
  verdict.proves(
    `${REPLICAS} expiration replicas on one Redis and one stream, ${ORDERS} orders due over 10 s ` +
      `(${run.cancelled.length} cancelled before), ${run.victim.name} SIGKILLed with ${figures.stalledJobs} jobs in ` +
      `flight and not restarted: ${figures.lost} lost, ${figures.cancelledFired} fired for a cancelled order, ` +
      `${figures.duplicatesPublished} published twice (${figures.republishedAfterKill} again by a survivor, ` +
      `at most ${figures.maxRepublishGapMs} ms apart) and ${figures.duplicatesDelivered} delivered twice ` +
      `(duplicate window ${run.duplicateWindowMs} ms); max lateness ${figures.maxLatenessMs} ms, ` +
      `${figures.late} more than ${LATE_MS} ms late`,
  );
}, 6 * 60_000);

afterAll(() => console.log(verdict.line()));

describe('three expiration replicas, one SIGKILLed with jobs in flight', () => {
  it(
    'expires every order that was not cancelled, through the survivors',
    verdict.check(() => {
      const lost = run.expected.filter((o) => run.stored.count(o.id) === 0);

      expect(lost.map((o) => o.id)).toEqual([]);
      expect(run.allExpiredAfterMs).not.toBeNull();
    }),
  );

  it(
    'publishes nothing for an order cancelled before it fell due',
    verdict.check(() => {
      const fired = run.cancelled.filter((o) => run.stored.count(o.id) > 0 || run.wire.count(o.id) > 0);

      expect(fired.map((o) => o.id)).toEqual([]);
    }),
  );

  it(
    'delivers each expiration:complete once to a durable consumer',
    verdict.check(() => {
      const twice = run.expected.filter((o) => run.stored.count(o.id) > 1);

      expect(twice.map((o) => o.id)).toEqual([]);
      expect(run.stored.duplicates).toBe(0);
    }),
  );

  it(
    'kills a replica that holds jobs, and the survivors run them',
    verdict.check(() => {
      const expectedIds = new Set(run.expected.map((o) => o.id));
      const cancelledIds = new Set(run.cancelled.map((o) => o.id));
      // A cancelled order can have a job (its cancellation came while its
      // order:created was being stored): run again, it still publishes nothing.
      const wrong = run.stalled.filter((id) =>
        cancelledIds.has(id) ? run.wire.count(id) > 0 : !expectedIds.has(id) || run.stored.count(id) !== 1,
      );

      expect(run.stalled.length).toBeGreaterThan(0);
      expect(wrong).toEqual([]);
    }),
  );

  it(
    "drops a publish repeated by another replica within the stream's duplicate window",
    verdict.check(() => {
      const republished = run.expected.filter((o) => run.wire.count(o.id) > 1);
      const againAfterKill = republished.filter(
        (o) => (run.wire.first(o.id) ?? 0) < run.victim.killedAt && (run.wire.last(o.id) ?? 0) > run.victim.killedAt,
      );
      const outsideWindow = republished.filter(
        (o) => (run.wire.last(o.id) ?? 0) - (run.wire.first(o.id) ?? 0) >= run.duplicateWindowMs,
      );

      // The kill lands mid-share, and usually (8–34 jobs in most runs) some of
      // the victim's jobs were published but not yet completed. Whether any
      // was depends on where the SIGKILL falls, so a run without one says so
      // rather than fails: the dedupe by message id itself is proven
      // deterministically by common's JetStream bus tests.
      if (againAfterKill.length === 0) {
        console.log('[faults] expiration-replicas: the kill caught no job between its publish and its completion');
      }
      expect(outsideWindow.map((o) => o.id)).toEqual([]);
      expect(republished.filter((o) => run.stored.count(o.id) !== 1).map((o) => o.id)).toEqual([]);
    }),
  );

  it(
    'keeps the survivors running and ready',
    verdict.check(() => {
      expect(run.crashed).toEqual([]);
      expect(run.survivorsReadyAtEnd).toBe(true);
    }),
  );
});

/** The run's figures, as the closing line and the docs quote them. */
function figuresOf(r: ExpirationReplicasRun) {
  const lateness = r.expected.flatMap((o) => {
    const first = r.stored.first(o.id);
    return first === undefined ? [] : [first - o.expiresAt];
  });
  const republished = r.expected.filter((o) => r.wire.count(o.id) > 1);
  const gaps = republished.map((o) => (r.wire.last(o.id) ?? 0) - (r.wire.first(o.id) ?? 0));
  const stalledRetries = r.stalled.map((id) => (r.wire.last(id) ?? r.victim.killedAt) - r.victim.killedAt);
  return {
    lost: r.expected.filter((o) => r.stored.count(o.id) === 0).length,
    cancelledFired: r.cancelled.filter((o) => r.stored.count(o.id) > 0 || r.wire.count(o.id) > 0).length,
    duplicatesPublished: r.wire.duplicates,
    duplicatesDelivered: r.stored.duplicates,
    // Published before the kill (by the victim or a survivor) and again after it: the
    // second copy came from a survivor, on another connection, with the same message id.
    republishedAfterKill: republished.filter(
      (o) => (r.wire.first(o.id) ?? 0) < r.victim.killedAt && (r.wire.last(o.id) ?? 0) > r.victim.killedAt,
    ).length,
    stalledCancelled: r.stalled.filter((id) => r.cancelled.some((o) => o.id === id)).length,
    maxRepublishGapMs: gaps.length ? Math.max(...gaps) : 0,
    duplicateWindowMs: r.duplicateWindowMs,
    stalledJobs: r.stalled.length,
    stalledRunAgainWithinMs: stalledRetries.length ? Math.max(...stalledRetries) : null,
    maxLatenessMs: lateness.length ? Math.max(...lateness) : null,
    late: lateness.filter((l) => l > LATE_MS).length,
    allExpiredAfterMs: r.allExpiredAfterMs,
  };
}
