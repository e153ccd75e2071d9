/**
 * The stream's leader SIGKILLed on a JetStream cluster of three while both
 * services run and orders flow both ways: the stream (three replicas) elects
 * another leader, the publishes that failed meanwhile are retried with their
 * message ids, nothing is lost or doubled, and the killed server, started
 * again, catches up.
 */
import { Subjects } from '@grider-ms-tickets/common';
import { LATE_MS, REPLICAS, runNatsClusterScenario, type NatsClusterRun } from './nats-cluster-scenario';
import { ordersNotOnce } from './order-flow';
import { ScenarioVerdict } from './scenario-verdict';

const verdict = new ScenarioVerdict('nats-cluster');
let run: NatsClusterRun;

/** The subject and order id a message id names: `<subject>:<id>:<version>`, or `expiration:complete:<id>`. */
function eventOf(msgId: string): { subject: string; orderId: string } | undefined {
  const expiration = /^expiration:complete:(.+)$/.exec(msgId);
  if (expiration) return { subject: Subjects.ExpirationComplete, orderId: expiration[1] };
  const order = /^(order:created|order:cancelled):(.+):\d+$/.exec(msgId);
  return order ? { subject: order[1], orderId: order[2] } : undefined;
}

/** How many times the event a message id names arrived downstream. */
function arrivals(msgId: string): number {
  const event = eventOf(msgId);
  if (!event) return 0;
  if (event.subject === Subjects.ExpirationComplete) return run.expirations.count(event.orderId);
  return run.events.about(event.subject as Subjects, 'id', event.orderId).length;
}

beforeAll(async () => {
  run = await runNatsClusterScenario((line) => console.log(`[faults] nats-cluster: ${line}`));
  const cancelledAt = (id: string) => run.events.about(Subjects.OrderCancelled, 'id', id)[0]?.at;
  const lost = run.made.filter((o) => cancelledAt(o.id) === undefined).length;
  const duplicated = run.made.filter(
    (o) =>
      run.events.about(Subjects.OrderCreated, 'id', o.id).length > 1 ||
      run.events.about(Subjects.OrderCancelled, 'id', o.id).length > 1 ||
      run.expirations.count(o.id) > 1,
  ).length;
  const lateness = run.made.map((o) => (cancelledAt(o.id) ?? Number.NaN) - o.expiresAt).filter(Number.isFinite);
  const late = lateness.filter((ms) => ms > LATE_MS).length;
  const retriedIds = new Set(run.retried.map((r) => r.msgId));
  verdict.proves(
    `SIGKILL of ${run.killed.name}, the leader of a stream with ${REPLICAS} replicas on a cluster of three, while ` +
      `both services ran with NATS_URL listing all three and ${run.made.length} orders were made: ` +
      `${run.newLeader ?? 'no member'} led it ${run.electionMs === undefined ? '(never)' : `${(run.electionMs / 1000).toFixed(1)} s`} after the kill; ` +
      `lost ${lost}, duplicated ${duplicated}, late ${late} (cancelled over ${LATE_MS / 1000} s after falling due; ` +
      `latest ${(Math.max(0, ...lateness) / 1000).toFixed(1)} s); ${run.retried.length} publish retries of ` +
      `${retriedIds.size} events, ${run.gaveUp} gave up (then ${run.jobRetries} Bull job retries, ${run.owedPublished} ` +
      `sent by the sweeper), every retried event published once; the restarted member caught up ` +
      (run.catchUpMs === undefined ? 'never' : `${(run.catchUpMs / 1000).toFixed(1)} s after it was launched`) +
      (run.caughtUp ? ` and held sequence ${run.caughtUp.lastSeq} at the end, as the leader did` : ''),
  );
}, 6 * 60_000);

afterAll(() => console.log(verdict.line()));

describe('both services, while the stream leader of a JetStream cluster is killed', () => {
  it(
    'raises the stream to NATS_STREAM_REPLICAS, never lowers it, and elects another leader after the kill',
    verdict.check(() => {
      expect(run.replicasAfterStart).toBe(REPLICAS);
      expect(run.staleBus).toEqual({ warned: true, replicas: REPLICAS });
      expect(run.newLeader).toBeDefined();
      expect(run.newLeader).not.toBe(run.killed.name);
    }),
  );

  it(
    'takes every order, and delivers each order:created to expiration and each expiration:complete back to orders once',
    verdict.check(() => {
      const { created, expired } = ordersNotOnce(
        run.made.map((o) => o.id),
        run,
      );

      expect(run.postErrors).toEqual([]);
      expect(run.made.some((o) => o.expiresAt > run.killed.at)).toBe(true);
      expect(created).toEqual([]);
      expect(expired).toEqual([]);
    }),
  );

  it(
    'cancels every order exactly once, at one version, by its expiration: none lost, none doubled',
    verdict.check(() => {
      const { cancelled } = ordersNotOnce(
        run.made.map((o) => o.id),
        run,
      );

      expect(cancelled).toEqual([]);
      expect(run.metrics).toEqual({ cancelledByExpiration: run.made.length, swept: 0 });
      expect(run.deadLetters).toBe(0);
    }),
  );

  it(
    'retried each publish that failed during the election with its message id, and each such event arrived once',
    verdict.check(() => {
      const unknown = run.retried.filter((r) => eventOf(r.msgId) === undefined);
      const notOnce = [...new Set(run.retried.map((r) => r.msgId))].filter((id) => arrivals(id) !== 1);

      expect(unknown).toEqual([]);
      expect(notOnce).toEqual([]);
      // A failure reached the services' own code only after the bus had retried it in vain.
      expect(run.callerFailures).toBe(run.gaveUp);
    }),
  );

  it(
    'lets the killed server catch up once started again, and keeps both services up',
    verdict.check(() => {
      expect(run.catchUpMs).toBeDefined();
      expect(run.caughtUp).toMatchObject({ current: true, lag: 0 });
      expect(run.caughtUp?.lastSeq).toBe(run.caughtUp?.leaderLastSeq);
      expect(run.crashed).toEqual([]);
      expect(run.readyAtEnd).toBe(true);
    }),
  );
});
