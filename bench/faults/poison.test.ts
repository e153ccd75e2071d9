/**
 * A poison message at the head of every listener of both services, followed
 * by valid events: each poison message ends as a dead letter (an invalid one
 * at once, one that always fails after EVENT_MAX_DELIVERIES deliveries), and
 * the valid events behind it are handled meanwhile, not after it.
 */
import { Subjects, type DeadLetter } from '@grider-ms-tickets/common';
import { MAX_DELIVERIES, runPoisonScenario, type PoisonMessage, type PoisonRun } from './poison-scenario';
import { ScenarioVerdict } from './scenario-verdict';

const verdict = new ScenarioVerdict('poison');
let run: PoisonRun;

beforeAll(async () => {
  run = await runPoisonScenario();
  const failing = run.poisons.filter((p) => p.kind === 'failing');
  const leads = failing.map((p) => (deadLetteredAt(p) - lastHandledBehind(p)) / 1000);
  const validCount = run.valid.reduce((n, v) => n + v.sent, 0);
  verdict.proves(
    `a poison message at the head of each of the 6 listeners of both services (${run.poisons.length}: ` +
      `${run.poisons.length - failing.length} schema-invalid, dead-lettered on their first delivery; ${failing.length} ` +
      `valid but always failing, dead-lettered on delivery ${MAX_DELIVERIES} = EVENT_MAX_DELIVERIES) ended on ` +
      `dead-letter with its subject and reason, while the ${validCount} valid events behind them were handled, ` +
      `those behind a failing one at least ${Math.min(...leads).toFixed(1)} s before it was dead-lettered; ` +
      `the ${run.leftToExpire.length} orders left to expire expired and were cancelled; both services stayed up`,
  );
}, 6 * 60_000);

afterAll(() => console.log(verdict.line()));

/** The dead letter of a poison message. */
function letterOf(p: PoisonMessage): DeadLetter | undefined {
  for (const stored of run.deadLetters) {
    if ('letter' in stored && stored.letter.subject === p.subject && stored.letter.sequence === p.sequence) {
      return stored.letter;
    }
  }
  return undefined;
}

function deadLetteredAt(p: PoisonMessage): number {
  return Date.parse(letterOf(p)?.failedAt ?? '');
}

/** When the last valid event on the poison message's subject was seen handled. */
function lastHandledBehind(p: PoisonMessage): number {
  const events = run.valid.find((v) => v.subject === p.subject);
  return Math.max(...(events?.handledAt.values() ?? []));
}

describe('both services, given a poison message at the head of every listener', () => {
  it(
    'dead-letters every poison message with its subject, its service and the reason, and nothing else',
    verdict.check(() => {
      const letters = run.poisons.map((p) => {
        const letter = letterOf(p);
        return { subject: letter?.subject, service: letter?.service, reason: letter?.reason };
      });

      expect(letters).toEqual(
        run.poisons.map((p) => ({ subject: p.subject, service: p.service, reason: expect.stringMatching(p.reason) })),
      );
      expect(run.deadLetters).toHaveLength(run.poisons.length);
    }),
  );

  it(
    'dead-letters an invalid payload on its first delivery, and one that always fails on delivery EVENT_MAX_DELIVERIES',
    verdict.check(() => {
      const deliveries = run.poisons.map((p) => [p.subject, p.kind, letterOf(p)?.deliveries]);

      expect(deliveries).toEqual(
        run.poisons.map((p) => [p.subject, p.kind, p.kind === 'invalid' ? 1 : MAX_DELIVERIES]),
      );
    }),
  );

  it(
    'handles every valid event behind the poison, on all six listeners',
    verdict.check(() => {
      const handled = run.valid.map((v) => [v.subject, v.handledAt.size]);

      expect(handled).toEqual(run.valid.map((v) => [v.subject, v.sent]));
    }),
  );

  it(
    'handles the valid events behind a failing message while it waits for its redelivery, before it is dead-lettered',
    verdict.check(() => {
      const failing = run.poisons.filter((p) => p.kind === 'failing');
      const order = failing.map((p) => [p.subject, lastHandledBehind(p) < deadLetteredAt(p)]);

      expect(failing.map((p) => p.subject).sort()).toEqual(
        [Subjects.ExpirationComplete, Subjects.PaymentCreated, Subjects.TicketUpdated].sort(),
      );
      expect(order).toEqual(failing.map((p) => [p.subject, true]));
    }),
  );

  it(
    'expires and cancels the orders left to expire, keeps the paid ones complete, and drops the cancelled ones',
    verdict.check(() => {
      const status = (ids: string[]) => ids.map((id) => run.orders.get(id)?.status);
      const cancelledOnce = run.leftToExpire.filter(
        (id) => run.cancellations.about(Subjects.OrderCancelled, 'id', id).length === 1,
      );

      expect(status(run.leftToExpire)).toEqual(run.leftToExpire.map(() => 'cancelled'));
      expect(cancelledOnce).toEqual(run.leftToExpire);
      expect(run.leftToExpire.filter((id) => run.expirations.count(id) !== 1)).toEqual([]);
      // Their expiration fired too, and a paid order is never cancelled.
      expect(run.paid.filter((id) => run.expirations.count(id) !== 1)).toEqual([]);
      expect(status(run.paid)).toEqual(run.paid.map(() => 'complete'));
      // Only the suite's own early expiration:complete: expiration dropped their jobs on order:cancelled.
      expect(run.cancelledEarly.filter((id) => run.expirations.count(id) !== 1)).toEqual([]);
    }),
  );

  it(
    'keeps both services up and ready',
    verdict.check(() => {
      expect(run.crashed).toEqual([]);
      expect(run.readyAtEnd).toEqual({ orders: true, expiration: true });
    }),
  );
});
