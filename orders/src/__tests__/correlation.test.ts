import { CORRELATION_ID_HEADER, OrderStatus, REQUEST_ID_HEADER, Subjects } from '@grider-ms-tickets/common';
import type { PublishedEvent } from '@grider-ms-tickets/common/testing';
import request from 'supertest';
import { ExpirationCompleteListener } from '../events/listeners/expiration-complete-listener';
import { PaymentCreatedListener } from '../events/listeners/payment-created-listener';
import { newObjectId } from '../store';
import { OrderSweeper } from '../sweeper/order-sweeper';
import { buildTestApp, type TestApp } from '../test/test-app';

const REQUEST_ID = 'req-7f3a9c';

/** Orders an order through POST /api/orders, with `x-request-id` when given. */
async function placeOrder(t: TestApp, requestId?: string): Promise<{ id: string; requestId: string }> {
  const ticket = await t.aTicket();
  const call = request(t.app).post('/api/orders').set('Cookie', t.signin());
  const res = await (requestId ? call.set('X-Request-Id', requestId) : call).send({ ticketId: ticket.id }).expect(201);
  return { id: res.body.id as string, requestId: res.headers[REQUEST_ID_HEADER] as string };
}

const headerOf = (event: PublishedEvent | undefined) => event?.headers?.[CORRELATION_ID_HEADER];
const eventsOf = (t: TestApp, subject: Subjects, orderId: string) =>
  t.bus.published.filter((e) => e.subject === subject && (e.data as { id: string }).id === orderId);

function sweeperOf(t: TestApp, now = Date.now): OrderSweeper {
  const { store, bus, logger, metrics } = t;
  return new OrderSweeper({ store, bus, logger, metrics, intervalMs: 60_000, graceMs: 0, owedEventDelayMs: 0, now });
}

describe('one correlation id per order', () => {
  it('POST keeps the request id on the order and sends it with order:created', async () => {
    const t = buildTestApp();

    const order = await placeOrder(t, REQUEST_ID);

    expect(order.requestId).toBe(REQUEST_ID);
    expect((await t.store.orders.findById(order.id))?.correlationId).toBe(REQUEST_ID);
    expect(eventsOf(t, Subjects.OrderCreated, order.id).map(headerOf)).toEqual([REQUEST_ID]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({ msg: 'order created', orderId: order.id, correlationId: REQUEST_ID }),
    );
  });

  it('POST without x-request-id uses the id the service made, which the response echoes', async () => {
    const t = buildTestApp();

    const order = await placeOrder(t);

    expect(order.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(eventsOf(t, Subjects.OrderCreated, order.id).map(headerOf)).toEqual([order.requestId]);
  });

  it("DELETE sends order:cancelled with the order's id, not its own request's, and logs the cancel with it", async () => {
    const t = buildTestApp();
    const userId = newObjectId();
    const ticket = await t.aTicket();
    const created = await request(t.app)
      .post('/api/orders')
      .set('Cookie', t.signin(userId))
      .set('X-Request-Id', REQUEST_ID)
      .send({ ticketId: ticket.id });

    await request(t.app)
      .delete(`/api/orders/${created.body.id}`)
      .set('Cookie', t.signin(userId))
      .set('X-Request-Id', 'req-delete-1')
      .expect(204);

    expect(eventsOf(t, Subjects.OrderCancelled, created.body.id).map(headerOf)).toEqual([REQUEST_ID]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        msg: 'order cancelled',
        orderId: created.body.id,
        reason: 'user',
        correlationId: REQUEST_ID,
      }),
    );
  });

  it('expiration:complete: order:cancelled carries the id, and the cancel line names it', async () => {
    const t = buildTestApp();
    const order = await placeOrder(t, REQUEST_ID);
    const listener = new ExpirationCompleteListener(t.bus, { store: t.store, logger: t.logger, metrics: t.metrics });

    await t.bus.deliver(listener, { orderId: order.id }, { headers: { [CORRELATION_ID_HEADER]: REQUEST_ID } });

    expect(eventsOf(t, Subjects.OrderCancelled, order.id).map(headerOf)).toEqual([REQUEST_ID]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        msg: 'order cancelled',
        orderId: order.id,
        reason: 'expiration',
        correlationId: REQUEST_ID,
      }),
    );
  });

  it("for an order kept before correlation ids, the cancel line names the expiration:complete's id", async () => {
    const t = buildTestApp();
    const ticket = await t.aTicket();
    const older = await t.store.orders.create({ userId: newObjectId(), expiresAt: new Date(), ticket });
    const listener = new ExpirationCompleteListener(t.bus, { store: t.store, logger: t.logger, metrics: t.metrics });

    await t.bus.deliver(
      listener,
      { orderId: older.id },
      { headers: { [CORRELATION_ID_HEADER]: 'req-from-expiration' } },
    );

    expect(t.logs).toContainEqual(
      expect.objectContaining({ msg: 'order cancelled', orderId: older.id, correlationId: 'req-from-expiration' }),
    );
  });

  it('the sweeper: the cancel of an overdue order carries the id, and its lines name it', async () => {
    const t = buildTestApp();
    const order = await placeOrder(t, REQUEST_ID);
    const afterExpiry = () => Date.now() + 3_600_000;

    await sweeperOf(t, afterExpiry).sweep();

    expect(eventsOf(t, Subjects.OrderCancelled, order.id).map(headerOf)).toEqual([REQUEST_ID]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        msg: 'order cancelled',
        orderId: order.id,
        reason: 'sweep',
        correlationId: REQUEST_ID,
      }),
    );
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        orderId: order.id,
        correlationId: REQUEST_ID,
        overdueSeconds: expect.any(Number),
      }),
    );
  });

  it('an owed order:created that the sweeper publishes later carries the id', async () => {
    const t = buildTestApp();
    t.bus.failNextPublishes(1);
    const order = await placeOrder(t, REQUEST_ID);
    expect(eventsOf(t, Subjects.OrderCreated, order.id)).toEqual([]);

    await sweeperOf(t).sweep();

    expect(eventsOf(t, Subjects.OrderCreated, order.id).map(headerOf)).toEqual([REQUEST_ID]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({
        msg: expect.stringMatching(/^published an owed order event/),
        correlationId: REQUEST_ID,
      }),
    );
  });

  it('payment:created: the completion line names the id', async () => {
    const t = buildTestApp();
    const order = await placeOrder(t, REQUEST_ID);
    const listener = new PaymentCreatedListener(t.bus, { store: t.store, logger: t.logger, metrics: t.metrics });

    await t.bus.deliver(listener, { id: newObjectId(), orderId: order.id, stripeId: 'ch_1' });

    expect((await t.store.orders.findById(order.id))?.status).toBe(OrderStatus.Complete);
    expect(t.logs).toContainEqual(
      expect.objectContaining({ msg: 'order completed', orderId: order.id, correlationId: REQUEST_ID }),
    );
  });
});
