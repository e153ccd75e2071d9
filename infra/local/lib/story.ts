import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { z } from 'zod';
import {
  OrderStatus,
  Publisher,
  Subjects,
  type JetStreamBus,
  type PaymentCreatedEvent,
  type TicketCreatedEvent,
} from '@grider-ms-tickets/common';
import { EventWatch, abortReason, type SeenEvent } from './event-watch';
import { requestJson, type JsonResponse } from './http';
import { objectId, sessionCookie } from './session';
import { WaitTimeoutError } from './wait-timeout-error';

/**
 * The services' queue groups, which name their JetStream durables
 * `<group>:<subject>` (common's README). See
 * expiration/src/events/listeners/queue-group-name.ts and orders' listeners.
 * The story treats the services as black boxes otherwise; the e2e test
 * catches a rename.
 */
export const ORDERS_QUEUE_GROUP = 'orders-service';
/** expiration's Bull queue: its jobs are `<QUEUE_PREFIX>:order:expiration:order:<orderId>` in Redis. */
export const EXPIRATION_QUEUE_NAME = 'order:expiration';

/** The story's steps, in order, as the timeline names them. */
export const STORY_STEPS = [
  'A ticket is created (ticket:created)',
  'A signed-in user orders it over HTTP',
  'The expiration is scheduled',
  'expiration:complete arrives on time',
  'order:cancelled follows',
  'GET shows the order cancelled, and the ticket can be ordered again',
  'A second order is paid in time; when its expiration fires, it is not cancelled',
] as const;

/** What became of one step. */
export interface StepOutcome {
  /** 1-based. */
  n: number;
  title: string;
  status: 'passed' | 'failed' | 'skipped';
  /** What happened, or why not. May span lines. */
  detail: string;
  /** `Date.now()` when it was decided. */
  at: number;
}

/** What the whole story came to. */
export interface StoryResult {
  ok: boolean;
  steps: StepOutcome[];
  /** One line. */
  verdict: string;
  startedAt: number;
  elapsedMs: number;
}

/** Where the story tells what happens: the terminal, or a test's recorder. */
export interface StoryReporter {
  /** A step happened, or didn't. */
  step(outcome: StepOutcome): void;
  /** Something seen on the way, such as an event on the bus. */
  note(text: string, at: number): void;
  /** Counts down to an order's expiry; called again with the same key, it changes the label. */
  countdown(key: string, label: string, from: number, to: number): void;
  /** The countdown's order is settled. */
  settle(key: string, label: string): void;
}

/** Options of {@link runStory}. */
export interface StoryOptions {
  /** orders' base URL. */
  ordersUrl: string;
  /** Connected to the services' stream and subject prefix. */
  bus: JetStreamBus;
  /** The services' JWT_KEY, to sign the user's session. */
  jwtKey: string;
  /** expiration's Redis and Bull prefix, to show the scheduled job. */
  redis: { host: string; port: number; password?: string };
  queuePrefix: string;
  reporter: StoryReporter;
  /**
   * How late after the order's expiry expiration:complete may arrive and still be on time.
   *
   * @defaultValue 5000
   */
  lateToleranceMs?: number;
  /**
   * The limit of each wait that does not depend on the window.
   *
   * @defaultValue 20000
   */
  stepTimeoutMs?: number;
  /** Stops every wait, such as on Ctrl-C or when a service dies. */
  signal?: AbortSignal;
}

/** expiration:complete may arrive this much before expiresAt (two clocks: the job's and ours, on one machine). */
const EARLY_TOLERANCE_MS = 500;

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

class PaymentCreatedPublisher extends Publisher<PaymentCreatedEvent> {
  readonly subject = Subjects.PaymentCreated;
}

/** The order JSON of the course's routes; only what the story reads is checked. */
const orderSchema = z.object({
  id: z.string().min(1),
  status: z.string(),
  expiresAt: z.iso.datetime({ offset: true }),
  userId: z.string(),
  ticket: z.union([z.string(), z.object({ id: z.string() }).loose()]),
});
type OrderJson = z.output<typeof orderSchema>;

/**
 * Plays the story against running services: a ticket is created, a user orders
 * it, the order expires and is cancelled, the ticket is ordered again, and the
 * second order is paid in time and survives its expiry. Every step waits for
 * the event or state that proves it, with a deadline; the first step that
 * fails ends the story, and the ones after it are reported as skipped.
 *
 * @param options - where the services are, and where to report
 * @returns each step's outcome and a one-line verdict
 */
export async function runStory(options: StoryOptions): Promise<StoryResult> {
  const { bus, reporter, signal } = options;
  const lateToleranceMs = options.lateToleranceMs ?? 5_000;
  const stepTimeoutMs = options.stepTimeoutMs ?? 20_000;
  const within = (ms: number) => Date.now() + ms;
  const startedAt = Date.now();
  const steps: StepOutcome[] = [];

  const watch = await EventWatch.start(bus);
  const redis = new Redis({
    ...options.redis,
    lazyConnect: true,
    maxRetriesPerRequest: 1,
    connectionName: 'local-demo',
  });
  redis.on('error', () => undefined); // a failing step says it; no unhandled 'error' events

  // Events about this story's ticket and orders go on the timeline as they
  // arrive. An order:created for the ticket names its order, as it comes
  // before the HTTP answer that says the order's id.
  const mine = new Map<string, string>();
  let ordersSeen = 0;
  const nameOrder = (orderId: string): string => {
    if (!mine.has(orderId)) mine.set(orderId, `order ${++ordersSeen}`);
    return mine.get(orderId) as string;
  };
  watch.onEvent((event) => {
    if (event.subject === Subjects.OrderCreated) {
      const d = event.data as SeenEvent<Subjects.OrderCreated>['data'];
      if (mine.has(d.ticket.id)) nameOrder(d.id);
    }
    const text = describeEvent(event, mine);
    if (text) reporter.note(text, event.at);
  });

  const user = { id: objectId(), email: 'newcomer@example.com' };
  const cookie = sessionCookie(user, options.jwtKey);
  const placeOrder = async (ticketId: string): Promise<OrderJson> => {
    const res = await requestJson('POST', `${options.ordersUrl}/api/orders`, { cookie, body: { ticketId } });
    if (res.status !== 201) throw new Error(`POST /api/orders answered ${res.status}: ${brief(res)}${authHint(res)}`);
    const order = parseOrder(res);
    if (order.status !== OrderStatus.Created) throw new Error(`the new order's status is ${order.status}, not created`);
    return order;
  };
  const getOrder = async (orderId: string): Promise<OrderJson> => {
    const res = await requestJson('GET', `${options.ordersUrl}/api/orders/${orderId}`, { cookie });
    if (res.status !== 200) {
      throw new Error(`GET /api/orders/${orderId} answered ${res.status}: ${brief(res)}${authHint(res)}`);
    }
    return parseOrder(res);
  };
  const ordersConsumed = (subject: Subjects, what: string) =>
    watch.waitConsumed(`${ORDERS_QUEUE_GROUP}:${subject}`, { until: within(stepTimeoutMs), what, signal });
  const expiryOf = (order: OrderJson) => Date.parse(order.expiresAt);
  const onTime = (fired: SeenEvent, expiresAt: number): string => {
    const delta = fired.at - expiresAt;
    if (delta < -EARLY_TOLERANCE_MS) {
      throw new Error(
        `expiration:complete arrived ${seconds(-delta)} s before the order expired (${clock(expiresAt)})`,
      );
    }
    return Math.abs(delta) < 1_000
      ? `${Math.abs(delta)} ms ${delta < 0 ? 'before' : 'after'} its expiresAt`
      : `${seconds(Math.abs(delta))} s ${delta < 0 ? 'before' : 'after'} its expiresAt`;
  };

  const ticket = { id: objectId(), version: 0, title: 'Concert at the Arena', price: 20, userId: objectId() };
  mine.set(ticket.id, 'the ticket');
  let order1!: OrderJson;
  let order2!: OrderJson;
  let expired1!: SeenEvent;

  // One function per step, in the order of STORY_STEPS; each returns what it saw.
  const plan: (() => Promise<string>)[] = [
    async () => {
      await new TicketCreatedPublisher(bus).publish(ticket);
      await ordersConsumed(Subjects.TicketCreated, 'orders taking in ticket:created');
      return `ticket ${short(ticket.id)} "${ticket.title}", $${ticket.price}, published; orders has its copy`;
    },

    async () => {
      order1 = await placeOrder(ticket.id);
      nameOrder(order1.id);
      const expiresAt = expiryOf(order1);
      reporter.countdown(order1.id, `order 1 ${short(order1.id)}`, Date.now(), expiresAt);
      const windowMs = expiresAt - Date.now();
      if (windowMs > 120_000) {
        reporter.note(
          `this system's orders expire after ${Math.round(windowMs / 1000)} s, so the story waits that long. ` +
            'For a quick run, start it with EXPIRATION_WINDOW_SECONDS=10, or stop it and let npm run demo start its own.',
          Date.now(),
        );
      }
      return (
        `${user.email}, with a signed session: POST /api/orders → 201\n` +
        `order ${short(order1.id)}, status ${order1.status}, expires at ${clock(expiresAt)} (in ${seconds(windowMs)} s)`
      );
    },

    async () => {
      const expiresAt = expiryOf(order1);
      const created = await watch.waitFor(Subjects.OrderCreated, (d) => d.id === order1.id, {
        until: within(stepTimeoutMs),
        what: 'order:created for order 1',
        signal,
      });
      if (Date.parse(created.data.expiresAt) !== expiresAt) {
        throw new Error(`order:created says expiresAt ${created.data.expiresAt}, the order ${order1.expiresAt}`);
      }
      const dueAt = await waitForJob(redis, `${options.queuePrefix}:${EXPIRATION_QUEUE_NAME}:order:${order1.id}`, {
        until: within(stepTimeoutMs),
        signal,
      });
      if (Math.abs(dueAt - expiresAt) > 1_000) {
        throw new Error(`the expiration job is due at ${clock(dueAt)}, but the order expires at ${clock(expiresAt)}`);
      }
      return `order:created on the bus; expiration's Bull job ${EXPIRATION_QUEUE_NAME}:${short(order1.id)} is due at ${clock(dueAt)}`;
    },

    async () => {
      const expiresAt = expiryOf(order1);
      expired1 = await watch.waitFor(Subjects.ExpirationComplete, (d) => d.orderId === order1.id, {
        until: expiresAt + lateToleranceMs,
        what: `expiration:complete for order 1 by ${clock(expiresAt + lateToleranceMs)} (its expiry + ${seconds(lateToleranceMs)} s)`,
        signal,
      });
      return `expiration:complete for order 1 at ${clock(expired1.at)}, ${onTime(expired1, expiresAt)}`;
    },

    async () => {
      const cancelled = await watch.waitFor(Subjects.OrderCancelled, (d) => d.id === order1.id, {
        until: within(stepTimeoutMs),
        what: 'order:cancelled for order 1',
        signal,
      });
      if (cancelled.data.ticket.id !== ticket.id) {
        throw new Error(`order:cancelled names ticket ${cancelled.data.ticket.id}, not ${ticket.id}`);
      }
      reporter.settle(order1.id, 'cancelled');
      return `order:cancelled for order 1 (version ${cancelled.data.version}, ticket ${short(ticket.id)}), ${cancelled.at - expired1.at} ms after expiration:complete`;
    },

    async () => {
      const seen = await getOrder(order1.id);
      if (seen.status !== OrderStatus.Cancelled)
        throw new Error(`GET /api/orders/${order1.id} shows status ${seen.status}`);
      order2 = await placeOrder(ticket.id);
      nameOrder(order2.id);
      const expiresAt = expiryOf(order2);
      reporter.countdown(order2.id, `order 2 ${short(order2.id)}`, Date.now(), expiresAt);
      return (
        `GET /api/orders/${short(order1.id)} → status ${seen.status}\n` +
        `the same ticket ordered again → 201: order ${short(order2.id)}, expires at ${clock(expiresAt)}`
      );
    },

    async () => {
      const expiresAt = expiryOf(order2);
      const payment = { id: objectId(), orderId: order2.id, stripeId: `ch_demo_${randomBytes(6).toString('hex')}` };
      await new PaymentCreatedPublisher(bus).publish(payment);
      await ordersConsumed(Subjects.PaymentCreated, 'orders taking in payment:created');
      const paid = await getOrder(order2.id);
      if (paid.status !== OrderStatus.Complete)
        throw new Error(`after payment:created, order 2 is ${paid.status}, not complete`);
      const paidAt = Date.now();
      reporter.countdown(order2.id, `order 2 ${short(order2.id)} (paid)`, paidAt, expiresAt);
      reporter.note(
        `order 2 is complete, ${seconds(expiresAt - paidAt)} s before its expiry; now its expiration has to fire`,
        paidAt,
      );

      const fired = await watch.waitFor(Subjects.ExpirationComplete, (d) => d.orderId === order2.id, {
        until: expiresAt + lateToleranceMs,
        what: `expiration:complete for order 2 by ${clock(expiresAt + lateToleranceMs)}`,
        signal,
      });
      const timing = onTime(fired, expiresAt);
      // Once orders has acked it, any order:cancelled it was going to publish is already out.
      await ordersConsumed(Subjects.ExpirationComplete, 'orders handling expiration:complete for order 2');
      if (watch.find(Subjects.OrderCancelled, (d) => d.id === order2.id)) {
        throw new Error('orders cancelled order 2 although it was paid');
      }
      const after = await getOrder(order2.id);
      if (after.status !== OrderStatus.Complete) throw new Error(`after its expiry, order 2 is ${after.status}`);
      reporter.settle(order2.id, 'paid, stays complete');
      return (
        `payment:created (${payment.stripeId}) → GET shows order 2 ${paid.status}\n` +
        `its expiration:complete came ${timing}; orders handled it without order:cancelled: still ${after.status}`
      );
    },
  ];

  try {
    for (const [i, run] of plan.entries()) {
      const n = i + 1;
      const title = STORY_STEPS[i];
      try {
        const detail = await run();
        steps.push({ n, title, status: 'passed', detail, at: Date.now() });
      } catch (err) {
        steps.push({ n, title, status: 'failed', detail: (err as Error).message, at: Date.now() });
      }
      reporter.step(steps[steps.length - 1]);
      // Each step needs the ones before it: the story ends at the first that fails.
      if (steps[steps.length - 1].status === 'failed') break;
    }
  } finally {
    watch.close();
    redis.disconnect();
  }

  for (let n = steps.length + 1; n <= STORY_STEPS.length; n++) {
    const outcome: StepOutcome = {
      n,
      title: STORY_STEPS[n - 1],
      status: 'skipped',
      detail: 'not reached',
      at: Date.now(),
    };
    steps.push(outcome);
    reporter.step(outcome);
  }
  const elapsedMs = Date.now() - startedAt;
  const passed = steps.filter((s) => s.status === 'passed').length;
  const failed = steps.find((s) => s.status === 'failed');
  const verdict = failed
    ? `✖ Step ${failed.n} of ${steps.length} did not happen (${failed.title}): ${failed.detail.split('\n')[0]}. ${passed} of ${steps.length} passed.`
    : `✔ The whole story happened: ${passed} of ${steps.length} steps in ${seconds(elapsedMs)} s. The unpaid order expired on time and was cancelled; the paid one was not.`;
  return { ok: !failed, steps, verdict, startedAt, elapsedMs };
}

/** Polls Redis for the Bull job's hash and returns when it is due (its timestamp + delay). */
async function waitForJob(
  redis: Redis,
  key: string,
  options: { until: number; signal?: AbortSignal },
): Promise<number> {
  let last = 'no such job yet';
  for (;;) {
    if (options.signal?.aborted) throw new WaitTimeoutError(`stopped: ${abortReason(options.signal)}`);
    try {
      const [timestamp, delay] = await redis.hmget(key, 'timestamp', 'delay');
      if (timestamp !== null) return Number(timestamp) + Number(delay ?? 0);
    } catch (err) {
      last = `Redis: ${(err as Error).message}`;
    }
    if (Date.now() >= options.until) throw new WaitTimeoutError(`expiration did not schedule a job (${key}): ${last}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function parseOrder(res: JsonResponse): OrderJson {
  const parsed = orderSchema.safeParse(res.body);
  if (!parsed.success) throw new Error(`the order JSON is not as expected: ${brief(res)}`);
  return parsed.data;
}

function describeEvent(event: SeenEvent, mine: Map<string, string>): string | undefined {
  const name = (id: string) => `${mine.get(id)} ${short(id)}`;
  switch (event.subject) {
    case Subjects.TicketCreated: {
      const d = event.data as SeenEvent<Subjects.TicketCreated>['data'];
      return mine.has(d.id) ? `◆ ticket:created      ${name(d.id)}, version ${d.version}` : undefined;
    }
    case Subjects.OrderCreated: {
      const d = event.data as SeenEvent<Subjects.OrderCreated>['data'];
      return mine.has(d.id)
        ? `◆ order:created       ${name(d.id)}, expiresAt ${clock(Date.parse(d.expiresAt))}`
        : undefined;
    }
    case Subjects.ExpirationComplete: {
      const d = event.data as SeenEvent<Subjects.ExpirationComplete>['data'];
      return mine.has(d.orderId) ? `◆ expiration:complete ${name(d.orderId)}` : undefined;
    }
    case Subjects.OrderCancelled: {
      const d = event.data as SeenEvent<Subjects.OrderCancelled>['data'];
      return mine.has(d.id) ? `◆ order:cancelled     ${name(d.id)}, version ${d.version}` : undefined;
    }
    case Subjects.PaymentCreated: {
      const d = event.data as SeenEvent<Subjects.PaymentCreated>['data'];
      return mine.has(d.orderId) ? `◆ payment:created     for ${name(d.orderId)}` : undefined;
    }
    default:
      return undefined;
  }
}

/** A 401 here almost always means the session was signed with another key than the system's. */
function authHint(res: JsonResponse): string {
  return res.status === 401 ? ' (is JWT_KEY in this shell the one the running system has?)' : '';
}

function brief(res: JsonResponse): string {
  const text = typeof res.body === 'string' ? res.body : JSON.stringify(res.body);
  return (text ?? '(empty)').slice(0, 200);
}

/** The last 6 characters of an id, which differ between ids made in the same second. */
export function short(id: string): string {
  return `…${id.slice(-6)}`;
}

/**
 * @param ms - epoch milliseconds
 * @returns local time as HH:MM:SS.mmm
 */
export function clock(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/**
 * @param ms - a duration
 * @returns seconds with one decimal, or two under a second
 */
export function seconds(ms: number): string {
  return Math.abs(ms) < 1_000 ? (ms / 1000).toFixed(2) : (ms / 1000).toFixed(1);
}
