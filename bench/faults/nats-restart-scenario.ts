import { Subjects, listDeadLetters } from '@grider-ms-tickets/common';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import type { FiringLog } from '../src/lib/firing-log';
import { newOrderId } from '../src/lib/orders';
import { httpStatus } from '../src/lib/service-process';
import { sleepUntil, waitFor } from '../src/lib/wait';
import { untilQuiet } from './quiet';
import { EventLog } from './event-log';
import { FaultStack } from './fault-stack';
import type { OrderView } from './orders-api';
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

/** What orders logs for each owed event its sweeper publishes (orders/src/sweeper/order-sweeper.ts). */
const OWED_PUBLISHED_MESSAGE = 'published an owed order event; its first publish failed or never happened';

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
export interface NatsRestartRun {
  made: MadeOrder[];
  /** Failed POSTs (the order was not made). */
  postErrors: string[];
  outage: { downAt: number; upAt: number };
  /** The orders at the end. */
  orders: Map<string, OrderView>;
  events: EventLog;
  expirations: FiringLog;
  metrics: { cancelledByExpiration: number; swept: number };
  deadLetters: number;
  /** Events whose first publish failed (NATS down) and that orders' sweeper published afterwards. */
  owedPublished: number;
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
    const expirations = await ExpirationObserver.start(bus);
    stack.defer(() => expirations.close());
    const events = await EventLog.start(bus, [Subjects.OrderCreated, Subjects.OrderCancelled]);
    stack.defer(() => events.close());
    const grace = { EVENT_BUS_DOWN_GRACE_SECONDS: String(DOWN_GRACE_SECONDS) };
    const expiration = await stack.startExpiration(grace);
    const orders = await stack.startOrders({
      ...grace,
      EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS),
      ORDERS_SWEEP_INTERVAL_SECONDS: '1',
      EXPIRATION_GRACE_SECONDS: '600',
    });
    const { api } = orders;

    const tickets = Array.from({ length: Math.ceil(ORDERING_MS / PACE_MS) + 1 }, newOrderId);
    for (const id of tickets) {
      await bus.publish(Subjects.TicketCreated, JSON.stringify({ id, version: 0, title: 't', price: 5, userId: id }));
    }
    // Orders handles ticket:created one at a time, in order: once the last
    // ticket can be ordered, every ticket can. Its order is the first one made.
    const made: Array<{ order: OrderView; postedAt: number }> = [];
    const last = tickets.pop() as string;
    const firstPostAt = Date.now();
    made.push({
      order: await waitFor(() => api.createOrder(last), { timeoutMs: 60_000, intervalMs: 100, what: 'the tickets' }),
      postedAt: firstPostAt,
    });

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
    const postErrors: string[] = [];
    // One POST every PACE_MS, each on its own: a POST held up by the outage
    // (its order:created waits for NATS) does not hold up the next.
    const makeOrders = async () => {
      const posts: Array<Promise<void>> = [];
      for (const ticketId of tickets) {
        if (Date.now() >= t0 + ORDERING_MS) break;
        const postedAt = Date.now();
        posts.push(
          api.createOrder(ticketId).then(
            (order) => {
              if (order) made.push({ order, postedAt });
              else postErrors.push(`ticket ${ticketId} unknown`);
            },
            (err: Error) => {
              postErrors.push(err.message);
            },
          ),
        );
        await sleepUntil(postedAt + PACE_MS);
      }
      await Promise.all(posts);
    };
    await Promise.all([restartNats(), makeOrders()]);

    const ids = made.map((m) => m.order.id);
    await waitFor(() => ids.every((id) => events.about(Subjects.OrderCancelled, 'id', id).length > 0), {
      timeoutMs: 120_000,
      intervalMs: 200,
      what: 'every order to be cancelled',
    }).catch(note);
    await untilQuiet(() => Math.max(events.lastAt, expirations.stored.lastRecordAt)).catch(note);
    sampling = false;
    await probing;

    const phaseOf = (at: number): MadeOrder['phase'] =>
      at < outage.downAt ? 'before' : at < outage.upAt ? 'during' : 'after';
    return {
      made: made.map(({ order, postedAt }) => {
        const dueAt = Date.parse(order.expiresAt);
        return { id: order.id, phase: phaseOf(postedAt), dueDuringOutage: phaseOf(dueAt) === 'during' };
      }),
      postErrors,
      outage,
      orders: new Map((await api.listOrders()).map((o) => [o.id, o])),
      events,
      expirations: expirations.stored,
      metrics: {
        cancelledByExpiration: await api.metric('orders_transitions_total{transition="cancelled_by_expiration"}'),
        swept: await api.metric('orders_swept_total'),
      },
      deadLetters: (await listDeadLetters(bus)).length,
      owedPublished: orders.process.logged(OWED_PUBLISHED_MESSAGE).length,
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
