/**
 * The fault suite (`npm run test:faults`): the real expiration service, on a
 * Redis and a NATS of its own, with 2,000 orders in flight while it is
 * SIGKILLed three times, Redis and NATS are restarted, and duplicate and
 * malformed events arrive. It proves that no expiration is lost.
 *
 * FAULT_SEED replays a run's fault times; FAULT_ORDERS changes the load;
 * FAULT_SERVER_SIGNAL=SIGKILL crashes Redis and NATS instead of restarting them.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { RESULTS_DIR } from '../src/lib/paths';
import { runFaultScenario, type FaultRun } from './fault-scenario';

const SEED = Number(process.env.FAULT_SEED ?? Math.floor(Math.random() * 2 ** 31));
const ORDERS = Number(process.env.FAULT_ORDERS ?? 2_000);
const SERVER_SIGNAL = process.env.FAULT_SERVER_SIGNAL === 'SIGKILL' ? 'SIGKILL' : 'SIGTERM';

let run: FaultRun;

beforeAll(async () => {
  run = await runFaultScenario({
    orders: ORDERS,
    seed: SEED,
    serverSignal: SERVER_SIGNAL,
    // Straight to stderr as it happens: jest holds a test file's console output
    // until the file ends, and the other scenarios and the bench run meanwhile.
    log: (line) => process.stderr.write(`[faults] ${line}\n`),
  });
  const report = summarize(run);
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(path.join(RESULTS_DIR, 'faults-latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(`[faults] report: ${JSON.stringify(report, null, 2)}`);
}, 8 * 60_000);

describe('the expiration service under faults', () => {
  it('publishes at least one expiration:complete for every valid order', () => {
    const missing = run.expected.filter((o) => run.stored.count(o.id) === 0).map((o) => o.id);

    expect(missing).toEqual([]);
  });

  it('publishes none for a cancelled order, whether the cancellation came before or after order:created', () => {
    const expired = run.cancelled
      .filter((o) => run.stored.count(o.id) > 0 || run.wire.count(o.id) > 0)
      .map((o) => o.id);

    expect(expired).toEqual([]);
  });

  it('counts every duplicate order:created, while pending and after expiry, and expires the order once', () => {
    const duplicates = [...run.duplicatedWhilePending, ...run.duplicatedAfterExpiry];
    const ignored = new Set(
      run.lines.filter((l) => l.msg === 'order already has an expiration; duplicate ignored').map((l) => l.orderId),
    );

    expect(duplicates.filter((o) => !ignored.has(o.id)).map((o) => o.id)).toEqual([]);
    expect(duplicates.filter((o) => run.stored.count(o.id) !== 1).map((o) => o.id)).toEqual([]);
  });

  it('never crash-loops: the only exits are the three SIGKILLs, and it ends ready and stops cleanly', () => {
    expect(run.exits.filter((e) => !e.expected)).toEqual([]);
    expect(run.exits.filter((e) => e.signal === 'SIGKILL')).toHaveLength(3);
    expect(run.faults.map((f) => f.kind)).toEqual([
      'SIGKILL service',
      'restart Redis',
      'SIGKILL service',
      'restart NATS',
      'SIGKILL service',
    ]);
    expect(run.readyAtEnd).toBe(true);
    expect(run.finalExit).toEqual({ code: 0, signal: null });
  });

  it.each(['bad JSON', 'missing order id', 'invalid date', '1 MB payload'])(
    'logs a %s event with a clear reason',
    (kind) => {
      const event = run.malformed.find((m) => m.kind === kind);
      const logged = run.lines.filter(
        (l) => l.level === 'warn' && l.sequence === event?.sequence && typeof l.reason === 'string',
      );

      expect(event).toBeDefined();
      expect(logged.length).toBeGreaterThan(0);
      expect(logged[0].reason).toMatch(event?.reason as RegExp);
      expect(run.lines.some((l) => l.msg === 'bad order:created dropped' && l.reason === logged[0].reason)).toBe(true);
    },
  );
});

/** What the suite reports: counts, fault times and duplicates, without the raw logs. */
function summarize(r: FaultRun) {
  const all = [...r.expected, ...r.cancelled];
  const storedDuplicates = all.reduce((acc, o) => acc + Math.max(0, r.stored.count(o.id) - 1), 0);
  const wireDuplicates = all.reduce((acc, o) => acc + Math.max(0, r.wire.count(o.id) - 1), 0);
  const count = (msg: string) => r.lines.filter((l) => l.msg === msg).length;
  return {
    seed: r.seed,
    serverSignal: r.serverSignal,
    launch: r.launch,
    durationMs: r.durationMs,
    orders: {
      expected: r.expected.length,
      expired: r.expected.filter((o) => r.stored.count(o.id) > 0).length,
      lost: r.expected.filter((o) => r.stored.count(o.id) === 0).length,
      cancelled: r.cancelled.length,
      cancelledButExpired: r.cancelled.filter((o) => r.stored.count(o.id) > 0 || r.wire.count(o.id) > 0).length,
      allExpiredAfterMs: r.allExpiredAfterMs,
    },
    duplicates: {
      injected: r.duplicatedWhilePending.length + r.duplicatedAfterExpiry.length,
      ignoredByService: count('order already has an expiration; duplicate ignored'),
      /** expiration:complete delivered twice to a consumer. */
      expirationsDeliveredTwice: storedDuplicates,
      /** Extra publishes of expiration:complete (after a kill), dropped by JetStream's duplicate window. */
      republishedAndDropped: Math.max(0, wireDuplicates - storedDuplicates),
    },
    faults: r.faults,
    exits: r.exits.map(({ incarnation, code, signal, expected }) => ({ incarnation, code, signal, expected })),
    malformed: r.malformed.map(({ kind, sequence, bytes }) => ({
      kind,
      sequence,
      bytes,
      reason: r.lines.find((l) => l.level === 'warn' && l.sequence === sequence)?.reason ?? null,
    })),
    service: {
      stalledJobsRetried: count('job stalled (its worker died or hung); retrying it'),
      publishFailures: r.lines.filter((l) => String(l.msg).startsWith('publishing expiration:complete failed')).length,
      handlerFailures: count('handler failed; the message will be redelivered'),
      /** Every warning and error the service logged, by message. */
      problems: tally(
        r.lines.filter((l) => ['warn', 'error', 'fatal'].includes(l.level)).map((l) => `${l.level}: ${l.msg}`),
      ),
      readyAtEnd: r.readyAtEnd,
      finalExit: r.finalExit,
    },
  };
}

function tally(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[v] = (counts[v] ?? 0) + 1;
  return counts;
}
