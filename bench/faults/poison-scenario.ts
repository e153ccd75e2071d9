import { Subjects, listDeadLetters, type StoredDeadLetter } from '@grider-ms-tickets/common';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import type { FiringLog } from '../src/lib/firing-log';
import { publishRaw } from '../src/lib/nats-tools';
import { newOrderId } from '../src/lib/orders';
import { httpStatus } from '../src/lib/service-process';
import { waitFor } from '../src/lib/wait';
import { EventLog } from './event-log';
import { FaultStack } from './fault-stack';
import type { OrderView } from './orders-api';
import { goOnAfterTimeout } from './scenario-verdict';

/**
 * EVENT_MAX_DELIVERIES of both services. A failing message is redelivered
 * after 0.5, 1, 2 and 4 s and dead-lettered on its 5th delivery, about 7.5 s
 * after the first: short enough for a quick scenario, long enough that "the
 * valid events were handled before it was dead-lettered" holds with seconds
 * to spare on a busy machine, unless they are really held up behind it.
 */
export const MAX_DELIVERIES = 5;

/** Valid events of each kind sent behind the poison messages. */
const PER_KIND = 10;
/** EXPIRATION_WINDOW_SECONDS of orders: the orders made before the poison expire after it was dead-lettered. */
const WINDOW_SECONDS = 10;

const note = goOnAfterTimeout('poison');

/** A message that can never succeed, as published. */
export interface PoisonMessage {
  subject: Subjects;
  /** The service whose listener must give up on it. */
  service: 'orders' | 'expiration';
  /** `invalid`: fails its schema, dead-lettered at once; `failing`: valid, but its handler always fails. */
  kind: 'invalid' | 'failing';
  /** Its stream sequence. */
  sequence: number;
  /** The dead letter's reason must match it. */
  reason: RegExp;
}

/** The valid events of one subject sent right behind its poison messages. */
export interface ValidEvents {
  subject: Subjects;
  /** What each is about (a ticket or order id) and when the suite saw it handled, epoch milliseconds. */
  handledAt: Map<string, number>;
  /** How many were sent. */
  sent: number;
}

/** Everything the poison checks look at. */
export interface PoisonRun {
  poisons: PoisonMessage[];
  valid: ValidEvents[];
  /** What the dead-letter subject held at the end. */
  deadLetters: StoredDeadLetter[];
  /** Orders nobody paid or cancelled before their expiry: made before the poison, and behind it. */
  leftToExpire: string[];
  /** Orders paid behind the poison: they must stay complete after their expiry. */
  paid: string[];
  /** Orders cancelled behind the poison (an expiration:complete the suite sent): expiration must drop their jobs. */
  cancelledEarly: string[];
  /** The orders at the end. */
  orders: Map<string, OrderView>;
  /** expiration:complete as orders received them: the service's, and the suite's own for `cancelledEarly`. */
  expirations: FiringLog;
  /** order:cancelled as a downstream service received them. */
  cancellations: EventLog;
  readyAtEnd: { orders: boolean; expiration: boolean };
  crashed: string[];
}

/**
 * Runs both services (child processes, memory store for orders,
 * EVENT_MAX_DELIVERIES=5) and, once orders exist, puts a poison message at the
 * head of every listener's subject, followed at once by valid events on all
 * six subjects:
 *
 * - poison: a schema-invalid payload on each subject; and on the three whose
 *   handler can fail for good, a valid event that always fails: a
 *   `ticket:updated` whose version gap never fills, an `expiration:complete`
 *   and a `payment:created` for an order that does not exist;
 * - valid: new tickets (`ticket:created`, then ordered: `order:created`),
 *   ticket changes (`ticket:updated`), payments (`payment:created`), early
 *   expirations (`expiration:complete`, whose cancellations are `order:cancelled`).
 *
 * It notes when each valid event was seen handled, waits for the nine dead
 * letters, then for the orders left to expire to be cancelled.
 *
 * @returns what happened, for the assertions
 */
export async function runPoisonScenario(): Promise<PoisonRun> {
  const stack = await FaultStack.start('poison');
  try {
    const { bus } = stack;
    const expirations = await ExpirationObserver.start(bus);
    stack.defer(() => expirations.close());
    const cancellations = await EventLog.start(bus, [Subjects.OrderCancelled]);
    stack.defer(() => cancellations.close());
    const limit = { EVENT_MAX_DELIVERIES: String(MAX_DELIVERIES) };
    // Debug: one line per order:created and order:cancelled handled, with its time.
    const expiration = await stack.startExpiration({ ...limit, LOG_LEVEL: 'debug' });
    const orders = await stack.startOrders({ ...limit, EXPIRATION_WINDOW_SECONDS: String(WINDOW_SECONDS) });
    const { api } = orders;
    const publish = (subject: Subjects, data: unknown) => bus.publish(subject, JSON.stringify(data));
    const ticket = (id: string, version = 0, title = 'concert') => ({ id, version, title, price: 20, userId: id });

    // Before the poison: tickets, their orders, and the ticket whose update will never apply.
    const tickets = Array.from({ length: 3 * PER_KIND }, newOrderId);
    const gapTicket = newOrderId();
    for (const id of [...tickets, gapTicket]) await publish(Subjects.TicketCreated, ticket(id));
    const made = new Map<string, OrderView>();
    await waitFor(
      async () => {
        for (const id of tickets.filter((t) => !made.has(t))) {
          const order = await api.createOrder(id);
          if (order) made.set(id, order);
        }
        return made.size === tickets.length;
      },
      { timeoutMs: 60_000, intervalMs: 100, what: 'the orders made before the poison' },
    );
    const ordered = tickets.map((t) => made.get(t) as OrderView);
    const updated = ordered.slice(0, PER_KIND);
    const paid = ordered.slice(PER_KIND, 2 * PER_KIND);
    const cancelledEarly = ordered.slice(2 * PER_KIND);
    const unknownOrder = newOrderId();

    // The poison, at the head of every subject.
    const poisons: PoisonMessage[] = [];
    const poison = async (p: Omit<PoisonMessage, 'sequence'>, payload: unknown) => {
      poisons.push({ ...p, sequence: await publishRaw(bus, p.subject, JSON.stringify(payload)) });
    };
    const anId = newOrderId();
    await poison(
      { subject: Subjects.TicketCreated, service: 'orders', kind: 'invalid', reason: /^title: .*; price: / },
      { ...ticket(anId), title: '', price: -1 },
    );
    await poison(
      { subject: Subjects.TicketUpdated, service: 'orders', kind: 'invalid', reason: /^version: / },
      { ...ticket(anId), version: 'one' },
    );
    await poison(
      {
        subject: Subjects.TicketUpdated,
        service: 'orders',
        kind: 'failing',
        reason: new RegExp(`nak'ed it on delivery ${MAX_DELIVERIES}, the last allowed`),
      },
      ticket(gapTicket, 5, 'never applied: versions 1 to 4 never come'),
    );
    await poison(
      {
        subject: Subjects.OrderCreated,
        service: 'expiration',
        kind: 'invalid',
        reason: /^expiresAt: must be an ISO 8601 date-time/,
      },
      {
        id: anId,
        version: 0,
        status: 'created',
        userId: anId,
        expiresAt: 'next tuesday',
        ticket: { id: anId, price: 20 },
      },
    );
    await poison(
      { subject: Subjects.OrderCancelled, service: 'expiration', kind: 'invalid', reason: /^id: must be 1 to 64/ },
      { id: 'order:wait', version: 1, ticket: { id: anId } },
    );
    await poison(
      {
        subject: Subjects.ExpirationComplete,
        service: 'orders',
        kind: 'invalid',
        reason: /^orderId: must be 1 to 64/,
      },
      { orderId: '../../etc/passwd' },
    );
    await poison(
      {
        subject: Subjects.ExpirationComplete,
        service: 'orders',
        kind: 'failing',
        reason: new RegExp(`^handler failed: order ${unknownOrder} is unknown here`),
      },
      { orderId: unknownOrder },
    );
    await poison(
      { subject: Subjects.PaymentCreated, service: 'orders', kind: 'invalid', reason: /^orderId: .*; stripeId: / },
      { id: anId, orderId: '*', stripeId: '' },
    );
    await poison(
      {
        subject: Subjects.PaymentCreated,
        service: 'orders',
        kind: 'failing',
        reason: new RegExp(`^handler failed: order ${unknownOrder} is unknown here`),
      },
      { id: anId, orderId: unknownOrder, stripeId: 'ch_unknown_order' },
    );

    // The valid events, right behind it.
    const newTickets = Array.from({ length: PER_KIND }, newOrderId);
    for (const id of newTickets) await publish(Subjects.TicketCreated, ticket(id));
    for (const o of updated) await publish(Subjects.TicketUpdated, ticket(o.ticket.id, 1, 'renamed'));
    for (const o of paid)
      await publish(Subjects.PaymentCreated, { id: newOrderId(), orderId: o.id, stripeId: 'ch_ok' });
    for (const o of cancelledEarly) await publish(Subjects.ExpirationComplete, { orderId: o.id });

    const valid = (subject: Subjects, sent: number): ValidEvents => ({ subject, handledAt: new Map(), sent });
    const ticketsCreated = valid(Subjects.TicketCreated, PER_KIND);
    const ticketsUpdated = valid(Subjects.TicketUpdated, PER_KIND);
    const payments = valid(Subjects.PaymentCreated, PER_KIND);
    const earlyExpirations = valid(Subjects.ExpirationComplete, PER_KIND);
    const created = valid(Subjects.OrderCreated, PER_KIND);
    const cancelled = valid(Subjects.OrderCancelled, PER_KIND);
    const behind = [ticketsCreated, ticketsUpdated, payments, earlyExpirations, created, cancelled];
    const ordersBehind = new Map<string, OrderView>();
    const stamp = (events: ValidEvents, key: string, at = Date.now()) => {
      if (!events.handledAt.has(key)) events.handledAt.set(key, at);
    };
    await waitFor(
      async () => {
        // A new ticket is handled once it can be ordered; that order's order:created then reaches expiration.
        for (const id of newTickets.filter((t) => !ticketsCreated.handledAt.has(t))) {
          const order = await api.createOrder(id);
          if (!order) continue;
          stamp(ticketsCreated, id);
          ordersBehind.set(order.id, order);
        }
        const now = new Map((await api.listOrders()).map((o) => [o.id, o]));
        for (const o of updated) if (now.get(o.id)?.ticket.version === 1) stamp(ticketsUpdated, o.id);
        for (const o of paid) if (now.get(o.id)?.status === 'complete') stamp(payments, o.id);
        for (const o of cancelledEarly) if (now.get(o.id)?.status === 'cancelled') stamp(earlyExpirations, o.id);
        for (const line of expiration.lines) {
          const id = String(line.orderId);
          if (line.msg === 'expiration scheduled' && ordersBehind.has(id)) stamp(created, id, Date.parse(line.time));
          if (line.msg === 'order cancelled; expiration dropped' && cancelledEarly.some((o) => o.id === id)) {
            stamp(cancelled, id, Date.parse(line.time));
          }
        }
        return behind.every((events) => events.handledAt.size === events.sent);
      },
      { timeoutMs: 90_000, intervalMs: 100, what: 'the valid events behind the poison to be handled' },
    ).catch(note);

    const lettersOf = () => listDeadLetters(bus, { limit: 100 });
    await waitFor(async () => (await lettersOf()).length >= poisons.length, {
      timeoutMs: 90_000,
      intervalMs: 250,
      what: 'a dead letter for every poison message',
    }).catch(note);

    const leftToExpire = [...updated.map((o) => o.id), ...ordersBehind.keys()];
    const allDue = [...leftToExpire, ...paid.map((o) => o.id)];
    await waitFor(
      () =>
        allDue.every((id) => expirations.stored.count(id) > 0) &&
        leftToExpire.every((id) => cancellations.about(Subjects.OrderCancelled, 'id', id).length > 0),
      { timeoutMs: 120_000, intervalMs: 200, what: 'the orders left to expire to expire and be cancelled' },
    ).catch(note);

    return {
      poisons,
      valid: behind,
      deadLetters: await lettersOf(),
      leftToExpire,
      paid: paid.map((o) => o.id),
      cancelledEarly: cancelledEarly.map((o) => o.id),
      orders: new Map((await api.listOrders()).map((o) => [o.id, o])),
      expirations: expirations.stored,
      cancellations,
      readyAtEnd: {
        orders: (await httpStatus(orders.process.healthPort, '/readyz')) === 200,
        expiration: (await httpStatus(expiration.healthPort, '/readyz')) === 200,
      },
      crashed: stack.crashed.map((p) => p.name),
    };
  } finally {
    await stack.close();
  }
}
