import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { OrderStatus, Publisher, Subjects, durableName, type JetStreamBus } from '@grider-ms-tickets/common';
import type { PaymentCreatedEvent, TicketCreatedEvent } from '@grider-ms-tickets/common';
import { waitFor } from '@grider-ms-tickets/common/testing';
import { newObjectId } from '../../../orders/src/store/object-id';
import { sessionCookie } from '../../../orders/src/test/session-cookie';
import { expirationJobId } from '../../../expiration/src/queues/expiration-job-id';
import { EventWatch, type EventData, type SeenEvent } from './event-watch';
import { clock, seconds } from './terminal';

/** orders' queue group, which names its JetStream durables (common's durableName). The e2e test catches a rename. */
export const ORDERS_QUEUE_GROUP = 'orders-service';
/** expiration's Bull queue: its jobs are `<QUEUE_PREFIX>:order:expiration:order:<orderId>` in Redis. */
export const EXPIRATION_QUEUE_NAME = 'order:expiration';
/** expiration:complete may come this much before expiresAt (two clocks: the job's and ours, on one machine). */
const EARLY_TOLERANCE_MS = 500;

/** What became of one step (1-based `n`); `detail` says what happened, or why not, and may span lines. */
export interface StepOutcome {
  n: number;
  title: string;
  status: 'passed' | 'failed' | 'skipped';
  detail: string;
  at: number;
}

/** What the whole story came to, with a one-line verdict. */
export type StoryResult = { ok: boolean; steps: StepOutcome[]; verdict: string };

/** Where the story tells what happens: the terminal, or a test's recorder. */
export interface StoryReporter {
  step(outcome: StepOutcome): void;
  /** Something seen on the way, such as an event on the bus. */
  note(text: string, at: number): void;
  /** Counts down to an order's expiry; called again with the same key, it changes the label. */
  countdown(key: string, label: string, from: number, to: number): void;
  settle(key: string, label: string): void;
}

export interface StoryOptions {
  /** orders' base URL. */
  ordersUrl: string;
  /** Connected to the services' stream and subject prefix. */
  bus: JetStreamBus;
  /** The services' JWT_KEY, to sign the user's session. */
  jwtKey: string;
  /** expiration's Redis and Bull prefix, to see the scheduled job. */
  redis: { host: string; port: number; password?: string };
  queuePrefix: string;
  reporter: StoryReporter;
  /** How late after the expiry expiration:complete may come and still be on time. @defaultValue 5000 */
  lateToleranceMs?: number;
  /** The limit of each wait that does not depend on the window. @defaultValue 20000 */
  stepTimeoutMs?: number;
  /** Stops every wait, such as on Ctrl-C or when a service dies. */
  signal?: AbortSignal;
}

/** The fields of orders' order JSON that the story reads. */
interface OrderJson {
  id: string;
  status: string;
  expiresAt: string;
}

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  readonly subject = Subjects.TicketCreated;
}

class PaymentCreatedPublisher extends Publisher<PaymentCreatedEvent> {
  readonly subject = Subjects.PaymentCreated;
}

/** A step's check: what it says when the system did otherwise. */
function must(ok: unknown, otherwise: string): asserts ok {
  if (!ok) throw new Error(otherwise);
}

/** The last 6 characters of an id, which differ between ids made in the same second. */
const short = (id: string): string => `…${id.slice(-6)}`;

/** What the steps share: the services, what is seen of them, and what the steps before made. */
class Scene {
  readonly user = { id: newObjectId(), email: 'newcomer@example.com' };
  readonly ticket = { id: newObjectId(), version: 0, title: 'Concert at the Arena', price: 20, userId: newObjectId() };
  /** What the timeline calls the ticket and each order. */
  readonly names = new Map([[this.ticket.id, 'the ticket']]);
  readonly late: number;
  readonly reporter: StoryReporter;
  readonly redis: Redis;
  watch!: EventWatch;
  order1!: OrderJson;
  order2!: OrderJson;
  expired1!: SeenEvent;

  constructor(readonly options: StoryOptions) {
    this.late = options.lateToleranceMs ?? 5_000;
    this.reporter = options.reporter;
    this.redis = new Redis({ ...options.redis, lazyConnect: true, maxRetriesPerRequest: 1 });
    this.redis.on('error', () => undefined); // a failing step says it
  }

  /** @returns the deadline of a wait that starts now */
  soon(): number {
    return Date.now() + (this.options.stepTimeoutMs ?? 20_000);
  }

  nameOrder(orderId: string): void {
    if (!this.names.has(orderId)) this.names.set(orderId, `order ${this.names.size}`);
  }

  async placeOrder(ticketId: string): Promise<OrderJson> {
    const order = await this.request('POST', '/api/orders', 201, { ticketId });
    must(order.status === OrderStatus.Created, `the new order's status is ${order.status}, not created`);
    this.nameOrder(order.id);
    return order;
  }

  getOrder(orderId: string): Promise<OrderJson> {
    return this.request('GET', `/api/orders/${orderId}`, 200);
  }

  /**
   * Polls `probe` with common's waitFor until it gives a value, for `what`.
   * At the deadline, fails with `failure` and the probe's last complaint (what
   * it threw); at once if the story's signal aborts.
   */
  async poll<T>(probe: () => Promise<T | undefined> | T | undefined, what: string, until: number, failure?: string) {
    const { signal } = this.options;
    const found = await waitFor(
      async () =>
        signal?.aborted
          ? { stopped: signal.reason as Error }
          : ((v) => (v === undefined ? undefined : { v }))(await probe()),
      what,
      { timeoutMs: Math.max(0, until - Date.now()), intervalMs: 50 },
    ).catch((err: Error) => {
      const complaint = err.cause instanceof Error ? `: ${err.cause.message}` : '';
      throw new Error(`${failure ?? `${what} did not happen in time`}${complaint}`);
    });
    if ('stopped' in found) throw new Error(`stopped while waiting for ${what}: ${found.stopped.message}`);
    return found.v;
  }

  /** @returns the event about `id` (its orderId, else its id), as soon as the watch has seen it (it keeps what came before) */
  event<S extends Subjects>(subject: S, id: string, what: string, until = this.soon()) {
    const about = (d: EventData<S>) => ((d as { orderId?: string }).orderId ?? (d as { id?: string }).id) === id;
    return this.poll(() => this.watch.find(subject, about), what, until);
  }

  /** Waits until orders has acked everything on the subject, so what it does about it is done. */
  consumed(subject: Subjects, what: string): Promise<true> {
    const backlog = async () => {
      const why = await this.watch.backlog(durableName(ORDERS_QUEUE_GROUP, subject));
      if (why) throw new Error(why);
      return true as const;
    };
    return this.poll(backlog, what, this.soon());
  }

  /** @returns when expiration's Bull job for the order is due: its timestamp + delay */
  jobDueAt(orderId: string): Promise<number> {
    const key = `${this.options.queuePrefix}:${EXPIRATION_QUEUE_NAME}:${expirationJobId(orderId)}`;
    const due = async () => {
      const [timestamp, delay] = await this.redis.hmget(key, 'timestamp', 'delay');
      if (timestamp === null) throw new Error('no such job yet');
      return Number(timestamp) + Number(delay ?? 0);
    };
    return this.poll(due, `expiration scheduling ${key}`, this.soon(), `expiration did not schedule a job (${key})`);
  }

  /** @returns how far from its expiresAt an expiration:complete came; throws if too early */
  onTime(fired: SeenEvent, expiresAt: number): string {
    const delta = fired.at - expiresAt;
    if (delta < -EARLY_TOLERANCE_MS) {
      throw new Error(
        `expiration:complete arrived ${seconds(-delta)} s before the order expired (${clock(expiresAt)})`,
      );
    }
    const size = Math.abs(delta) < 1_000 ? `${Math.abs(delta)} ms` : `${seconds(Math.abs(delta))} s`;
    return `${size} ${delta < 0 ? 'before' : 'after'} its expiresAt`;
  }

  private async request(method: string, route: string, expected: number, body?: object): Promise<OrderJson> {
    const res = await fetch(`${this.options.ordersUrl}${route}`, {
      method,
      headers: { cookie: sessionCookie(this.user, this.options.jwtKey), 'content-type': 'application/json' },
      body: body && JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const order = (text.startsWith('{') ? JSON.parse(text) : {}) as Partial<OrderJson>;
    const valid = typeof order.id === 'string' && typeof order.status === 'string' && !!order.expiresAt;
    if (res.status === expected && valid) return order as OrderJson;
    // A 401 here almost always means the session was signed with another key than the system's.
    const hint = res.status === 401 ? ' (is JWT_KEY in this shell the one the running system has?)' : '';
    const what = res.status === expected ? 'an order JSON not as expected' : res.status;
    throw new Error(`${method} ${route} answered ${what}: ${text.slice(0, 200) || '(empty)'}${hint}`);
  }
}

/**
 * The story, step by step: a ticket is created, a user orders it, the order
 * expires and is cancelled, the ticket is ordered again, and the second order
 * is paid in time and survives its expiry. Each step waits for the event or
 * state that proves it, with a deadline, and says what it saw; each needs the
 * ones before it.
 */
export const STORY: readonly { title: string; run(s: Scene): Promise<string> }[] = [
  {
    title: 'A ticket is created (ticket:created)',
    async run(s) {
      await new TicketCreatedPublisher(s.options.bus).publish(s.ticket);
      await s.consumed(Subjects.TicketCreated, 'orders taking in ticket:created');
      return `ticket ${short(s.ticket.id)} "${s.ticket.title}", $${s.ticket.price}, published; orders has its copy`;
    },
  },
  {
    title: 'A signed-in user orders it over HTTP',
    async run(s) {
      s.order1 = await s.placeOrder(s.ticket.id);
      const expiresAt = Date.parse(s.order1.expiresAt);
      const windowMs = expiresAt - Date.now();
      s.reporter.countdown(s.order1.id, `order 1 ${short(s.order1.id)}`, Date.now(), expiresAt);
      if (windowMs > 120_000) {
        const quick =
          'For a quick run, start it with EXPIRATION_WINDOW_SECONDS=10, or stop it and let npm run demo start its own.';
        s.reporter.note(
          `this system's orders expire after ${seconds(windowMs)} s, so the story waits that long. ${quick}`,
          Date.now(),
        );
      }
      return (
        `${s.user.email}, with a signed session: POST /api/orders → 201\n` +
        `order ${short(s.order1.id)}, status ${s.order1.status}, expires at ${clock(expiresAt)} (in ${seconds(windowMs)} s)`
      );
    },
  },
  {
    title: 'The expiration is scheduled',
    async run(s) {
      const expiresAt = Date.parse(s.order1.expiresAt);
      const created = await s.event(Subjects.OrderCreated, s.order1.id, 'order:created for order 1');
      must(
        Date.parse(created.data.expiresAt) === expiresAt,
        `order:created says expiresAt ${created.data.expiresAt}, the order ${s.order1.expiresAt}`,
      );
      const dueAt = await s.jobDueAt(s.order1.id);
      must(
        Math.abs(dueAt - expiresAt) <= 1_000,
        `the expiration job is due at ${clock(dueAt)}, but the order expires at ${clock(expiresAt)}`,
      );
      return `order:created on the bus; expiration's Bull job ${EXPIRATION_QUEUE_NAME}:${short(s.order1.id)} is due at ${clock(dueAt)}`;
    },
  },
  {
    title: 'expiration:complete arrives on time',
    async run(s) {
      const expiresAt = Date.parse(s.order1.expiresAt);
      const what = `expiration:complete for order 1 by ${clock(expiresAt + s.late)} (its expiry + ${seconds(s.late)} s)`;
      s.expired1 = await s.event(Subjects.ExpirationComplete, s.order1.id, what, expiresAt + s.late);
      return `expiration:complete for order 1 at ${clock(s.expired1.at)}, ${s.onTime(s.expired1, expiresAt)}`;
    },
  },
  {
    title: 'order:cancelled follows',
    async run(s) {
      const cancelled = await s.event(Subjects.OrderCancelled, s.order1.id, 'order:cancelled for order 1');
      must(
        cancelled.data.ticket.id === s.ticket.id,
        `order:cancelled names ticket ${cancelled.data.ticket.id}, not ${s.ticket.id}`,
      );
      s.reporter.settle(s.order1.id, 'cancelled');
      const { version } = cancelled.data;
      return `order:cancelled for order 1 (version ${version}, ticket ${short(s.ticket.id)}), ${cancelled.at - s.expired1.at} ms after expiration:complete`;
    },
  },
  {
    title: 'GET shows the order cancelled, and the ticket can be ordered again',
    async run(s) {
      const seen = await s.getOrder(s.order1.id);
      must(seen.status === OrderStatus.Cancelled, `GET /api/orders/${s.order1.id} shows status ${seen.status}`);
      s.order2 = await s.placeOrder(s.ticket.id);
      const expiresAt = Date.parse(s.order2.expiresAt);
      s.reporter.countdown(s.order2.id, `order 2 ${short(s.order2.id)}`, Date.now(), expiresAt);
      return (
        `GET /api/orders/${short(s.order1.id)} → status ${seen.status}\n` +
        `the same ticket ordered again → 201: order ${short(s.order2.id)}, expires at ${clock(expiresAt)}`
      );
    },
  },
  {
    title: 'A second order is paid in time; when its expiration fires, it is not cancelled',
    async run(s) {
      const { id } = s.order2;
      const expiresAt = Date.parse(s.order2.expiresAt);
      const payment = { id: newObjectId(), orderId: id, stripeId: `ch_demo_${randomBytes(6).toString('hex')}` };
      await new PaymentCreatedPublisher(s.options.bus).publish(payment);
      await s.consumed(Subjects.PaymentCreated, 'orders taking in payment:created');
      const paid = await s.getOrder(id);
      must(paid.status === OrderStatus.Complete, `after payment:created, order 2 is ${paid.status}, not complete`);
      s.reporter.countdown(id, `order 2 ${short(id)} (paid)`, Date.now(), expiresAt);
      s.reporter.note(
        `order 2 is complete, ${seconds(expiresAt - Date.now())} s before its expiry; now its expiration has to fire`,
        Date.now(),
      );
      const what = `expiration:complete for order 2 by ${clock(expiresAt + s.late)}`;
      const fired = await s.event(Subjects.ExpirationComplete, id, what, expiresAt + s.late);
      const timing = s.onTime(fired, expiresAt);
      // Once orders has acked it, any order:cancelled it was going to publish is already out.
      await s.consumed(Subjects.ExpirationComplete, 'orders handling expiration:complete for order 2');
      must(!s.watch.find(Subjects.OrderCancelled, (d) => d.id === id), 'orders cancelled order 2 although it was paid');
      const after = await s.getOrder(id);
      must(after.status === OrderStatus.Complete, `after its expiry, order 2 is ${after.status}`);
      s.reporter.settle(id, 'paid, stays complete');
      return (
        `payment:created (${payment.stripeId}) → GET shows order 2 ${paid.status}\n` +
        `its expiration:complete came ${timing}; orders handled it without order:cancelled: still ${after.status}`
      );
    },
  },
];

/** @returns the event's line on the timeline, if it is about the story's ticket or orders */
function describeEvent(event: SeenEvent, names: Map<string, string>): string | undefined {
  const d = event.data as { id: string; orderId?: string; version?: number; expiresAt?: string };
  const id = d.orderId ?? d.id;
  if (!names.has(id)) return undefined;
  const extra = d.expiresAt
    ? `, expiresAt ${clock(Date.parse(d.expiresAt))}`
    : d.version === undefined
      ? ''
      : `, version ${d.version}`;
  const subject = `${event.subject.padEnd(19)}${event.subject === Subjects.PaymentCreated ? ' for' : ''}`;
  return `◆ ${subject} ${names.get(id)} ${short(id)}${extra}`;
}

/**
 * Plays {@link STORY} against running services. The first step that fails
 * ends it, and the ones after it are reported as skipped.
 *
 * @param options - where the services are, and where to report
 * @returns each step's outcome, whether all passed, and a one-line verdict
 */
export async function runStory(options: StoryOptions): Promise<StoryResult> {
  const startedAt = Date.now();
  const s = new Scene(options);
  s.watch = await EventWatch.start(options.bus, (event) => {
    // order:created names its order: it comes before the HTTP answer that says the order's id.
    const d = event.data as { id: string; ticket?: { id: string } };
    if (event.subject === Subjects.OrderCreated && d.ticket && s.names.has(d.ticket.id)) s.nameOrder(d.id);
    const text = describeEvent(event, s.names);
    if (text) options.reporter.note(text, event.at);
  });
  const steps: StepOutcome[] = [];
  try {
    for (const [i, { title, run }] of STORY.entries()) {
      const outcome: StepOutcome = { n: i + 1, title, status: 'skipped', detail: 'not reached', at: Date.now() };
      if (!steps.some((step) => step.status === 'failed')) {
        await run(s).then(
          (detail) => Object.assign(outcome, { status: 'passed', detail }),
          (err: Error) => Object.assign(outcome, { status: 'failed', detail: err.message }),
        );
        outcome.at = Date.now();
      }
      steps.push(outcome);
      options.reporter.step(outcome);
    }
  } finally {
    s.watch.close();
    s.redis.disconnect();
  }
  const passed = steps.filter((step) => step.status === 'passed').length;
  const failed = steps.find((step) => step.status === 'failed');
  const verdict = failed
    ? `✖ Step ${failed.n} of ${steps.length} did not happen (${failed.title}): ${failed.detail.split('\n')[0]}. ${passed} of ${steps.length} passed.`
    : `✔ The whole story happened: ${passed} of ${steps.length} steps in ${seconds(Date.now() - startedAt)} s. The unpaid order expired on time and was cancelled; the paid one was not.`;
  return { ok: !failed, steps, verdict };
}
