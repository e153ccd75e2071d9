/**
 * nats-server restarted while both services run and orders flow both ways:
 * nothing is lost, every order is cancelled once at one version by its
 * expiration, and neither service exits, since the outage is shorter than
 * their EVENT_BUS_DOWN_GRACE_SECONDS.
 */
import { DOWN_GRACE_SECONDS, runNatsRestartScenario, type NatsRestartRun } from './nats-restart-scenario';
import { ordersNotOnce } from './order-flow';
import { ScenarioVerdict } from './scenario-verdict';

const verdict = new ScenarioVerdict('nats-restart');
let run: NatsRestartRun;

beforeAll(async () => {
  run = await runNatsRestartScenario();
  const count = (phase: string) => run.made.filter((o) => o.phase === phase).length;
  const notReady = new Set(run.samples.filter((s) => s.path === '/readyz' && s.status !== 200).map((s) => s.service));
  verdict.proves(
    `nats-server restarted (${((run.outage.upAt - run.outage.downAt) / 1000).toFixed(1)} s down, same port and ` +
      `store) while both services ran and ${run.made.length} orders were made (${count('before')} before, ` +
      `${count('during')} during and ${count('after')} after the outage; ` +
      `${run.made.filter((o) => o.dueDuringOutage).length} fell due during it): every one went order:created → ` +
      `expiration → expiration:complete → cancelled, once and at one version, by its expiration (none swept, ` +
      `nothing dead-lettered, ${run.owedPublished} events owed by a failed publish sent by the sweeper); neither service exited and /healthz stayed 200 with ` +
      `EVENT_BUS_DOWN_GRACE_SECONDS=${DOWN_GRACE_SECONDS} (/readyz dropped on ${notReady.size} of 2)`,
  );
}, 6 * 60_000);

afterAll(() => console.log(verdict.line()));

describe('both services, while nats-server restarts', () => {
  it(
    'takes orders before, during and after the outage',
    verdict.check(() => {
      const phases = new Set(run.made.map((o) => o.phase));

      expect(run.postErrors).toEqual([]);
      expect([...phases].sort()).toEqual(['after', 'before', 'during']);
      expect(run.made.some((o) => o.dueDuringOutage)).toBe(true);
    }),
  );

  it(
    'delivers every order:created to expiration and every expiration:complete back to orders',
    verdict.check(() => {
      const { created, expired } = ordersNotOnce(
        run.made.map((o) => o.id),
        run,
      );

      expect(created).toEqual([]);
      expect(expired).toEqual([]);
    }),
  );

  it(
    'cancels every order exactly once, at one version, by its expiration and not the sweeper',
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
    'keeps both services alive: no exit, /healthz 200 throughout, ready at the end',
    verdict.check(() => {
      const unhealthy = run.samples.filter((s) => s.path === '/healthz' && s.status !== 200);

      expect(run.crashed).toEqual([]);
      expect(unhealthy).toEqual([]);
      expect(run.readyAtEnd).toBe(true);
    }),
  );
});
