import { httpStatus } from '../src/lib/service-process';
import { sleepUntil } from '../src/lib/wait';
import { FaultStack } from './fault-stack';
import {
  flowOutcome,
  orderAtPace,
  startOrderFlow,
  ticketsOnSale,
  waitAllCancelled,
  type FlowOutcome,
} from './order-flow';
import { goOnAfterTimeout } from './scenario-verdict';

/** EVENT_BUS_DOWN_GRACE_SECONDS of both services: longer than the outage, so liveness must hold. */
export const DOWN_GRACE_SECONDS = 30;
/** How long nats-server stays down. */
const OUTAGE_MS = 3_000;
/** When it goes down, after the first order. */
const OUTAGE_AT_MS = 5_000;
/** How long orders keep being made, one POST every PACE_MS. */
const ORDERING_MS = 14_000;
const PACE_MS = 250;
/** EXPIRATION_WINDOW_SECONDS: orders made just before the outage fall due during it. */
const WINDOW_SECONDS = 3;

const note = goOnAfterTimeout('nats-restart');

/** An order the scenario made, and when its POST started relative to the outage. */
export interface MadeOrder {
  id: string;
  phase: 'before' | 'during' | 'after';
  /** Its expiresAt fell while NATS was down: its expiration:complete had to wait. */
  dueDuringOutage: boolean;
}

/** One answer of a probe. */
export interface ProbeSample {
  service: string;
  path: '/healthz' | '/readyz';
  at: number;
  /** Undefined when nothing answered within 2 s. */
  status?: number;
}

/** Everything the nats-restart checks look at. */
export interface NatsRestartRun extends FlowOutcome {
  made: MadeOrder[];
  /** Failed POSTs (the order was not made). */
  postErrors: string[];
  outage: { downAt: number; upAt: number };
  /** /healthz and /readyz of both services, every 200 ms from the first order to the end. */
  samples: ProbeSample[];
  readyAtEnd: boolean;
  crashed: string[];
}

/**
 * Runs both services (child processes) on a nats-server of the scenario's own,
 * makes an order every 250 ms for 14 s through `POST /api/orders` (3-second
 * reservations), and restarts nats-server (SIGTERM, 3 s down, the same port
 * and store) 5 s in. Every order must go both ways: `order:created` to
 * expiration, `expiration:complete` back to orders, `order:cancelled` out.
 * The sweeper runs every second to publish what a failed publish left owed,
 * with a grace of 10 minutes, so it never cancels an order itself. Waits until
 * every order is cancelled, then until nothing new has arrived for 3 s.
 *
 * @returns what happened, for the assertions
 */
export async function runNatsRestartScenario(): Promise<NatsRestartRun> {
  const stack = await FaultStack.start('nats-restart');
  let sampling = false;
  try {
    const { bus } = stack;
    const flow = await startOrderFlow(stack, WINDOW_SECONDS, {
      EVENT_BUS_DOWN_GRACE_SECONDS: String(DOWN_GRACE_SECONDS),
    });
    const { expiration, orders, events, expirations } = flow;
    const { api } = orders;

    const { first, tickets } = await ticketsOnSale(bus, api, Math.ceil(ORDERING_MS / PACE_MS) + 1);

    const samples: ProbeSample[] = [];
    sampling = true;
    const probing = (async () => {
      while (sampling) {
        const at = Date.now();
        for (const service of [expiration, orders.process]) {
          for (const path of ['/healthz', '/readyz'] as const) {
            samples.push({ service: service.name, path, at, status: await httpStatus(service.healthPort, path) });
          }
        }
        await sleepUntil(at + 200);
      }
    })();

    const t0 = Date.now();
    const outage = { downAt: Number.POSITIVE_INFINITY, upAt: Number.POSITIVE_INFINITY };
    const restartNats = async () => {
      await sleepUntil(t0 + OUTAGE_AT_MS);
      outage.downAt = Date.now();
      await stack.nats.restart(OUTAGE_MS, 'SIGTERM');
      outage.upAt = Date.now();
    };
    const [, paced] = await Promise.all([
      restartNats(),
      orderAtPace(api, tickets, { paceMs: PACE_MS, until: t0 + ORDERING_MS }),
    ]);
    const made = [first, ...paced.made];
    await waitAllCancelled(
      made.map((m) => m.order.id),
      { events, expirations: expirations.stored },
      note,
    );
    sampling = false;
    await probing;

    const phaseOf = (at: number): MadeOrder['phase'] =>
      at < outage.downAt ? 'before' : at < outage.upAt ? 'during' : 'after';
    return {
      made: made.map(({ order, postedAt }) => {
        const dueAt = Date.parse(order.expiresAt);
        return { id: order.id, phase: phaseOf(postedAt), dueDuringOutage: phaseOf(dueAt) === 'during' };
      }),
      postErrors: paced.postErrors,
      outage,
      ...(await flowOutcome(flow, bus)),
      samples,
      readyAtEnd: (await Promise.all(stack.processes.map((p) => httpStatus(p.healthPort, '/readyz')))).every(
        (status) => status === 200,
      ),
      crashed: stack.crashed.map((p) => p.name),
    };
  } finally {
    sampling = false;
    await stack.close();
  }
}
