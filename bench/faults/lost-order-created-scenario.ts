import { Subjects } from '@grider-ms-tickets/common';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import type { FiringLog } from '../src/lib/firing-log';
import { newOrderId } from '../src/lib/orders';
import { httpStatus } from '../src/lib/service-process';
import { waitFor } from '../src/lib/wait';
import { untilQuiet } from './quiet';
import { EventLog } from './event-log';
import { FaultStack } from './fault-stack';
import type { OrderView } from './orders-api';
import { goOnAfterTimeout } from './scenario-verdict';
import { deleteStoredMessage, lastMessageOn } from './stream-messages';

/** The orders service's settings here: 3-second reservations, a sweep every second, 1 s of grace. */
export const ORDERS_SETTINGS = {
  EXPIRATION_WINDOW_SECONDS: '3',
  ORDERS_SWEEP_INTERVAL_SECONDS: '1',
  EXPIRATION_GRACE_SECONDS: '1',
} as const;

/** What orders logs for each order its sweeper cancels (orders/src/sweeper/order-sweeper.ts). */
export const SWEPT_MESSAGE = 'cancelled an order still reserved past its expiry; its expiration was lost upstream';

const note = goOnAfterTimeout('lost-order-created');

/** Everything the lost-order checks look at. */
export interface LostOrderRun {
  /** The order whose order:created was lost, as POST answered it. */
  lost: OrderView;
  /** An order made once expiration was back, which must expire the ordinary way. */
  control: OrderView;
  /** The orders at the end. */
  orders: Map<string, OrderView>;
  events: EventLog;
  expirations: FiringLog;
  /** Order ids orders logged as swept. */
  sweptLogged: string[];
  metrics: { swept: number; cancelledBySweep: number };
  /** How the first expiration process exited when it was stopped. */
  stoppedExit?: { code: number | null; signal: NodeJS.Signals | null };
  readyAtEnd: boolean;
  crashed: string[];
}

/**
 * An order whose `order:created` never reaches expiration. With both services
 * running (child processes), expiration is stopped (SIGTERM), the order is
 * made through `POST /api/orders`, and its `order:created`, which NATS
 * acknowledged (so the orders service rightly crossed it off its owed
 * events), is deleted from the stream before expiration is started again.
 * That is how a stream loses a message no consumer has had yet: a JetStream
 * store lost with its server, or the oldest messages dropped under
 * NATS_STREAM_MAX_BYTES or NATS_STREAM_MAX_AGE. The outbox can't help (the
 * publish succeeded) and expiration never hears of the order: only the
 * sweeper can free its ticket. Expiration being stopped first guarantees its
 * consumer never had the message. An order made after the restart shows that
 * expiration works again, so the lost one is the only one left to the sweeper.
 *
 * @returns what happened, for the assertions
 */
export async function runLostOrderCreatedScenario(): Promise<LostOrderRun> {
  const stack = await FaultStack.start('lost-order-created');
  try {
    const { bus } = stack;
    const expirations = await ExpirationObserver.start(bus);
    stack.defer(() => expirations.close());
    const events = await EventLog.start(bus, [Subjects.OrderCancelled]);
    stack.defer(() => events.close());
    const firstExpiration = await stack.startExpiration();
    const orders = await stack.startOrders(ORDERS_SETTINGS);
    const { api } = orders;

    const [lostTicket, controlTicket] = [newOrderId(), newOrderId()];
    for (const id of [lostTicket, controlTicket]) {
      await bus.publish(Subjects.TicketCreated, JSON.stringify({ id, version: 0, title: 't', price: 5, userId: id }));
    }
    const order = (ticketId: string, what: string) =>
      waitFor(() => api.createOrder(ticketId), { timeoutMs: 60_000, intervalMs: 100, what });

    const stoppedExit = await firstExpiration.stop();
    const lost = await order(lostTicket, 'the order whose order:created is lost');
    const stored = await lastMessageOn(bus, Subjects.OrderCreated);
    const storedId = (JSON.parse(stored.data) as { id?: string }).id;
    if (storedId !== lost.id) {
      throw new Error(`the last order:created is for order ${storedId}, not for ${lost.id}`);
    }
    await deleteStoredMessage(bus, stored.seq);
    await stack.startExpiration();
    const control = await order(controlTicket, 'the order made once expiration was back');

    const cancelled = (id: string) => events.about(Subjects.OrderCancelled, 'id', id).length > 0;
    await waitFor(() => cancelled(lost.id) && cancelled(control.id) && expirations.stored.count(control.id) > 0, {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: 'both orders to be cancelled',
    }).catch(note);
    // Quiet for 3 s, so that an expiration:complete of the lost order, had one come, is seen.
    await untilQuiet(() => Math.max(events.lastAt, expirations.stored.lastRecordAt)).catch(note);

    return {
      lost,
      control,
      orders: new Map((await api.listOrders()).map((o) => [o.id, o])),
      events,
      expirations: expirations.stored,
      sweptLogged: orders.process.logged(SWEPT_MESSAGE).map((l) => String(l.orderId)),
      metrics: {
        swept: await api.metric('orders_swept_total'),
        cancelledBySweep: await api.metric('orders_transitions_total{transition="cancelled_by_sweep"}'),
      },
      stoppedExit: stoppedExit && { code: stoppedExit.code, signal: stoppedExit.signal },
      readyAtEnd: (
        await Promise.all(
          stack.processes.filter((p) => p !== firstExpiration).map((p) => httpStatus(p.healthPort, '/readyz')),
        )
      ).every((status) => status === 200),
      crashed: stack.crashed.map((p) => p.name),
    };
  } finally {
    await stack.close();
  }
}
