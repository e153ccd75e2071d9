import { Subjects, listDeadLetters, type JetStreamBus } from '@grider-ms-tickets/common';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import type { FiringLog } from '../src/lib/firing-log';
import { newOrderId } from '../src/lib/orders';
import { sleepUntil, waitFor } from '../src/lib/wait';
import { untilQuiet } from './quiet';
import { EventLog } from './event-log';
import type { FaultStack, RunningOrders } from './fault-stack';
import type { NatsCluster } from './nats-cluster';
import type { OrderView, OrdersApi } from './orders-api';
import type { NatsServer } from './servers';
import type { TicketingProcess } from './ticketing-process';

/** Both services running on a stack, and what the suite records of the orders' flow between them. */
export interface OrderFlow {
  expiration: TicketingProcess;
  orders: RunningOrders;
  /** order:created and order:cancelled, as a downstream service receives them. */
  events: EventLog;
  expirations: ExpirationObserver;
}

/**
 * Starts recording `order:created`, `order:cancelled` and
 * `expiration:complete`, then both services, with reservations of
 * `windowSeconds`. The sweeper runs every second to publish what a failed
 * publish left owed, with a grace of 10 minutes, so it never cancels an order
 * itself: every order must be cancelled by its expiration.
 *
 * @param stack - where they run; it closes what is started here
 * @param windowSeconds - EXPIRATION_WINDOW_SECONDS
 * @param env - variables for both services
 * @returns once both are ready
 */
export async function startOrderFlow(
  stack: FaultStack<NatsServer | NatsCluster>,
  windowSeconds: number,
  env: Record<string, string>,
): Promise<OrderFlow> {
  const expirations = await ExpirationObserver.start(stack.bus);
  stack.defer(() => expirations.close());
  const events = await EventLog.start(stack.bus, [Subjects.OrderCreated, Subjects.OrderCancelled]);
  stack.defer(() => events.close());
  const expiration = await stack.startExpiration(env);
  const orders = await stack.startOrders({
    ...env,
    EXPIRATION_WINDOW_SECONDS: String(windowSeconds),
    ORDERS_SWEEP_INTERVAL_SECONDS: '1',
    EXPIRATION_GRACE_SECONDS: '600',
  });
  return { expiration, orders, events, expirations };
}

/** An order made through the API, and when its POST started. */
export interface PostedOrder {
  order: OrderView;
  /** Epoch milliseconds. */
  postedAt: number;
}

/** What {@link orderAtPace} made. */
export interface PacedOrders {
  made: PostedOrder[];
  /** Failed POSTs (the order was not made). */
  postErrors: string[];
}

/**
 * Puts `count` tickets on sale (`ticket:created` on the bus) and waits until
 * orders can order the last one: orders handles ticket:created one at a time,
 * in order, so then every ticket can be ordered.
 *
 * @param bus - the suite's bus
 * @param api - the orders API
 * @param count - how many tickets
 * @returns the order of the last ticket, the first order made, and the other tickets
 */
export async function ticketsOnSale(
  bus: JetStreamBus,
  api: OrdersApi,
  count: number,
): Promise<{ first: PostedOrder; tickets: string[] }> {
  const tickets = Array.from({ length: count }, newOrderId);
  for (const id of tickets) {
    await bus.publish(Subjects.TicketCreated, JSON.stringify({ id, version: 0, title: 't', price: 5, userId: id }));
  }
  const last = tickets.pop() as string;
  const postedAt = Date.now();
  const order = await waitFor(() => api.createOrder(last), { timeoutMs: 60_000, intervalMs: 100, what: 'the tickets' });
  return { first: { order, postedAt }, tickets };
}

/**
 * Orders one ticket every `paceMs` until `until`. Each POST goes on its own:
 * one held up by a fault (its order:created waits for NATS) does not hold up
 * the next.
 *
 * @param api - the orders API
 * @param tickets - the tickets to order, in turn
 * @param pace - `paceMs` between POSTs; no POST starts at or after `until` (epoch milliseconds)
 * @returns once every POST has answered
 */
export async function orderAtPace(
  api: OrdersApi,
  tickets: readonly string[],
  pace: { paceMs: number; until: number },
): Promise<PacedOrders> {
  const made: PostedOrder[] = [];
  const postErrors: string[] = [];
  const posts: Array<Promise<void>> = [];
  for (const ticketId of tickets) {
    if (Date.now() >= pace.until) break;
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
    await sleepUntil(postedAt + pace.paceMs);
  }
  await Promise.all(posts);
  return { made, postErrors };
}

/**
 * Waits until every order has its `order:cancelled`, then until nothing new
 * has arrived for 3 s, so that a late duplicate would be seen. A wait that
 * times out is handed to `onTimeout` and the scenario goes on to its checks.
 *
 * @param ids - the orders
 * @param seen - what the suite records downstream
 * @param onTimeout - what to do with a wait that timed out
 */
export async function waitAllCancelled(
  ids: readonly string[],
  seen: { events: EventLog; expirations: FiringLog },
  onTimeout: (err: Error) => void,
): Promise<void> {
  await waitFor(() => ids.every((id) => seen.events.about(Subjects.OrderCancelled, 'id', id).length > 0), {
    timeoutMs: 120_000,
    intervalMs: 200,
    what: 'every order to be cancelled',
  }).catch(onTimeout);
  await waitForQuiet(seen, onTimeout);
}

/**
 * Waits until nothing new has arrived downstream for 3 s.
 *
 * @param seen - what the suite records downstream
 * @param onTimeout - what to do with a wait that timed out
 */
export async function waitForQuiet(
  seen: { events: EventLog; expirations: FiringLog },
  onTimeout: (err: Error) => void,
): Promise<void> {
  await untilQuiet(() => Math.max(seen.events.lastAt, seen.expirations.lastRecordAt)).catch(onTimeout);
}

/**
 * The orders that did not go both ways exactly once.
 *
 * @param ids - the orders made
 * @param seen - what the suite recorded downstream, and the orders at the end
 * @returns the ids whose `order:created` or `expiration:complete` did not arrive exactly once, and those not
 *   cancelled exactly once at the version they ended at
 */
export function ordersNotOnce(
  ids: readonly string[],
  seen: { events: EventLog; expirations: FiringLog; orders: Map<string, OrderView> },
): { created: string[]; expired: string[]; cancelled: string[] } {
  return {
    created: ids.filter((id) => seen.events.about(Subjects.OrderCreated, 'id', id).length !== 1),
    expired: ids.filter((id) => seen.expirations.count(id) !== 1),
    cancelled: ids.filter((id) => {
      const order = seen.orders.get(id);
      const cancellations = seen.events.about(Subjects.OrderCancelled, 'id', id);
      return (
        order?.status !== 'cancelled' || cancellations.length !== 1 || cancellations[0].data.version !== order.version
      );
    }),
  };
}

/** What a flow ended with, as the checks read it. */
export interface FlowOutcome {
  /** The orders at the end. */
  orders: Map<string, OrderView>;
  events: EventLog;
  expirations: FiringLog;
  metrics: { cancelledByExpiration: number; swept: number };
  deadLetters: number;
  /** Events whose first publish failed and that orders' sweeper published afterwards. */
  owedPublished: number;
}

/** What orders logs for each owed event its sweeper publishes (orders/src/sweeper/order-sweeper.ts). */
const OWED_PUBLISHED_MESSAGE = 'published an owed order event; its first publish failed or never happened';

/**
 * @param flow - the services and recorders of {@link startOrderFlow}
 * @param bus - the suite's bus, to read the dead letters
 * @returns the orders, events, metrics and dead letters at the end
 */
export async function flowOutcome(flow: OrderFlow, bus: JetStreamBus): Promise<FlowOutcome> {
  const { api } = flow.orders;
  return {
    orders: new Map((await api.listOrders()).map((o) => [o.id, o])),
    events: flow.events,
    expirations: flow.expirations.stored,
    metrics: {
      cancelledByExpiration: await api.metric('orders_transitions_total{transition="cancelled_by_expiration"}'),
      swept: await api.metric('orders_swept_total'),
    },
    deadLetters: (await listDeadLetters(bus)).length,
    owedPublished: flow.orders.process.logged(OWED_PUBLISHED_MESSAGE).length,
  };
}
