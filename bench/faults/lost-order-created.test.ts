/**
 * An order whose order:created never reaches expiration: the orders
 * service's sweeper cancels it once its expiry and the grace have passed,
 * publishes its order:cancelled and counts it in orders_swept_total.
 */
import { Subjects } from '@grider-ms-tickets/common';
import { ORDERS_SETTINGS, runLostOrderCreatedScenario, type LostOrderRun } from './lost-order-created-scenario';
import { ScenarioVerdict } from './scenario-verdict';

const verdict = new ScenarioVerdict('lost-order-created');
let run: LostOrderRun;

beforeAll(async () => {
  run = await runLostOrderCreatedScenario();
  const [cancellation] = run.events.about(Subjects.OrderCancelled, 'id', run.lost.id);
  const afterExpiry = cancellation ? ((cancellation.at - Date.parse(run.lost.expiresAt)) / 1000).toFixed(1) : '?';
  verdict.proves(
    `an order whose order:created was deleted from the stream while expiration was stopped (a stream losing a ` +
      `message no consumer had yet) was cancelled by the sweeper ${afterExpiry} s after its expiresAt ` +
      `(EXPIRATION_WINDOW_SECONDS=${ORDERS_SETTINGS.EXPIRATION_WINDOW_SECONDS}, ` +
      `EXPIRATION_GRACE_SECONDS=${ORDERS_SETTINGS.EXPIRATION_GRACE_SECONDS}, ` +
      `ORDERS_SWEEP_INTERVAL_SECONDS=${ORDERS_SETTINGS.ORDERS_SWEEP_INTERVAL_SECONDS}): GET shows it cancelled, ` +
      `its order:cancelled is on the bus, orders_swept_total is ${run.metrics.swept}; an order made once ` +
      `expiration was back expired through it`,
  );
}, 6 * 60_000);

afterAll(() => console.log(verdict.line()));

describe('the orders service, given an order whose order:created never reached expiration', () => {
  it(
    'cancels it through the sweeper, and expiration never fires for it',
    verdict.check(() => {
      expect(run.orders.get(run.lost.id)?.status).toBe('cancelled');
      expect(run.sweptLogged).toContain(run.lost.id);
      expect(run.expirations.count(run.lost.id)).toBe(0);
    }),
  );

  it(
    'publishes its order:cancelled once, at the version it was cancelled at',
    verdict.check(() => {
      const cancellations = run.events.about(Subjects.OrderCancelled, 'id', run.lost.id);

      expect(cancellations.map((e) => e.data.version)).toEqual([run.orders.get(run.lost.id)?.version]);
      expect(run.orders.get(run.lost.id)?.version).toBeGreaterThan(run.lost.version);
    }),
  );

  it(
    'counts it in orders_swept_total, once for each order swept',
    verdict.check(() => {
      expect(run.metrics.swept).toBeGreaterThanOrEqual(1);
      expect(run.metrics).toEqual({ swept: run.sweptLogged.length, cancelledBySweep: run.sweptLogged.length });
    }),
  );

  it(
    'expires an order made once expiration was back, through expiration',
    verdict.check(() => {
      expect(run.expirations.count(run.control.id)).toBe(1);
      expect(run.orders.get(run.control.id)?.status).toBe('cancelled');
      expect(run.events.about(Subjects.OrderCancelled, 'id', run.control.id)).toHaveLength(1);
    }),
  );

  it(
    'keeps both services up: the stopped expiration exited 0, nothing else exited',
    verdict.check(() => {
      expect(run.stoppedExit).toEqual({ code: 0, signal: null });
      expect(run.crashed).toEqual([]);
      expect(run.readyAtEnd).toBe(true);
    }),
  );
});
