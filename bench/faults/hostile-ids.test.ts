/**
 * Order ids named like Bull's own keys (`wait`, `meta`, `id`, …) sent to the
 * running expiration service among ordinary orders: the ordinary ones all
 * expire, none of the hostile ones fires twice or after its cancellation, and
 * the queue keeps working.
 */
import { BULL_KEY_NAMES, runHostileIdsScenario, type HostileIdsRun } from './hostile-ids-scenario';
import { ScenarioVerdict } from './scenario-verdict';

const verdict = new ScenarioVerdict('hostile-ids');
let run: HostileIdsRun;

beforeAll(async () => {
  run = await runHostileIdsScenario();
  const lateness = run.ordinary.map((o) => (run.stored.first(o.id) ?? Number.NaN) - o.expiresAt);
  verdict.proves(
    `${BULL_KEY_NAMES.length} orders named like Bull's keys (${BULL_KEY_NAMES.join(', ')}), each sent twice among ` +
      `${run.ordinary.length} ordinary orders to the running service: every ordinary order expired, none early ` +
      `(the latest ${Math.max(...lateness)} ms after its expiresAt), the ${run.firing.length} uncancelled hostile ` +
      `ones fired once each, the ${run.cancelledBefore.length + run.cancelledAfter.length} cancelled ones never; ` +
      `the service stayed ready, its queue kept working and no WRONGTYPE was logged`,
  );
}, 6 * 60_000);

afterAll(() => console.log(verdict.line()));

describe('the expiration service, given order ids named like Bull keys', () => {
  it(
    'expires every ordinary order once, none before its expiresAt',
    verdict.check(() => {
      const wrong = run.ordinary.filter(
        (o) => run.stored.count(o.id) !== 1 || (run.stored.first(o.id) ?? 0) < o.expiresAt,
      );

      expect(wrong.map((o) => o.id)).toEqual([]);
    }),
  );

  it(
    'fires each uncancelled hostile order once, though its order:created came twice',
    verdict.check(() => {
      const counts = Object.fromEntries(run.firing.map((o) => [o.id, [run.stored.count(o.id), run.wire.count(o.id)]]));

      expect(counts).toEqual(Object.fromEntries(run.firing.map((o) => [o.id, [1, 1]])));
    }),
  );

  it(
    'never fires a hostile order cancelled before or after its order:created',
    verdict.check(() => {
      const fired = [...run.cancelledBefore, ...run.cancelledAfter].filter(
        (o) => run.stored.count(o.id) + run.wire.count(o.id) > 0,
      );

      expect(fired.map((o) => o.id)).toEqual([]);
    }),
  );

  it(
    "keeps Bull's keys its own: no job in their place, no WRONGTYPE, nothing dead-lettered",
    verdict.check(() => {
      const types = Object.fromEntries(Object.entries(run.bullKeys).map(([name, key]) => [name, key.type]));

      expect(Object.entries(run.bullKeys).filter(([, key]) => key.holdsJob)).toEqual([]);
      expect(types).toMatchObject({
        wait: expect.stringMatching(/^(list|none)$/),
        active: expect.stringMatching(/^(list|none)$/),
        paused: expect.stringMatching(/^(list|none)$/),
        delayed: expect.stringMatching(/^(zset|none)$/),
        completed: expect.stringMatching(/^(zset|none)$/),
        failed: expect.stringMatching(/^(zset|none)$/),
        priority: expect.stringMatching(/^(zset|none)$/),
        repeat: expect.stringMatching(/^(zset|none)$/),
        meta: expect.stringMatching(/^(hash|none)$/),
        id: expect.stringMatching(/^(string|none)$/),
      });
      expect(run.wrongType).toEqual([]);
      expect(run.deadLetters).toBe(0);
    }),
  );

  it(
    'stays ready, and an order sent afterwards expires',
    verdict.check(() => {
      expect(run.crashed).toEqual([]);
      expect(run.readyAtEnd).toBe(true);
      expect(run.stored.count(run.afterwards.id)).toBe(1);
    }),
  );
});
