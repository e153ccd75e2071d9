import { OrderStatus, Subjects, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import request from 'supertest';
import { newObjectId } from '../../store';
import { buildTestApp, type TestApp } from '../../test/test-app';

async function placeOrder(t: TestApp, user: string): Promise<{ id: string; ticket: { id: string } }> {
  const ticket = await t.aTicket();
  const res = await request(t.app).post('/api/orders').set('Cookie', user).send({ ticketId: ticket.id }).expect(201);
  return res.body;
}

describe('DELETE /api/orders/:orderId', () => {
  it('cancels the order and answers 204', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    const res = await request(t.app).get(`/api/orders/${order.id}`).set('Cookie', user).expect(200);
    expect(res.body).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
  });

  it('publishes order:cancelled with the new version and the ticket id', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    expect(t.bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([
      { id: order.id, version: 1, ticket: { id: order.ticket.id } },
    ]);
  });

  it('frees the ticket for another order', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    await request(t.app).post('/api/orders').set('Cookie', t.signin()).send({ ticketId: order.ticket.id }).expect(201);
  });

  it('answers 204 again for a cancelled order, and publishes nothing more', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);
    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    expect(t.bus.publishedOn(Subjects.OrderCancelled)).toHaveLength(1);
  });

  it('refuses to cancel a paid order', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const { id } = await placeOrder(t, user);
    const order = await t.store.orders.findById(id);
    await t.store.orders.save({ ...order!, status: OrderStatus.Complete });

    await request(t.app).delete(`/api/orders/${id}`).set('Cookie', user).expect(400);

    expect((await t.store.orders.findById(id))?.status).toBe(OrderStatus.Complete);
    expect(t.bus.publishedOn(Subjects.OrderCancelled)).toEqual([]);
  });

  it('counts the cancel in orders_transitions_total as cancelled_by_user', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    expect((await t.metrics.transitions.get()).values).toContainEqual(
      expect.objectContaining({ labels: { transition: 'cancelled_by_user' }, value: 1 }),
    );
  });

  it('when order:cancelled cannot be published, answers 204 all the same, and the order owes the event', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);
    t.bus.failNextPublishes(1);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    expect(await t.store.orders.findById(order.id)).toMatchObject({
      status: OrderStatus.Cancelled,
      version: 1,
      pendingEvents: [{ subject: Subjects.OrderCancelled, version: 1, since: expect.any(Date) }],
    });
    expect(t.bus.publishedOn(Subjects.OrderCancelled)).toEqual([]);
    expect(t.logs).toContainEqual(
      expect.objectContaining({ level: 'warn', orderId: order.id, subject: Subjects.OrderCancelled }),
    );
    expect((await t.metrics.publishFailures.get()).values).toContainEqual(
      expect.objectContaining({ labels: { subject: Subjects.OrderCancelled }, value: 1 }),
    );
  });

  it('a second DELETE publishes the order:cancelled the first could not', async () => {
    const t = buildTestApp();
    const user = t.signin();
    const order = await placeOrder(t, user);
    t.bus.failNextPublishes(1);
    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', user).expect(204);

    expect(t.bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([
      { id: order.id, version: 1, ticket: { id: order.ticket.id } },
    ]);
    expect((await t.store.orders.findById(order.id))?.pendingEvents).toEqual([]);
  });

  it("answers 401 for another user's order and leaves it alone", async () => {
    const t = buildTestApp();
    const order = await placeOrder(t, t.signin());

    await request(t.app).delete(`/api/orders/${order.id}`).set('Cookie', t.signin()).expect(401);

    expect((await t.store.orders.findById(order.id))?.status).toBe(OrderStatus.Created);
  });

  it('answers 401 without a session', async () => {
    const t = buildTestApp();
    const order = await placeOrder(t, t.signin());

    await request(t.app).delete(`/api/orders/${order.id}`).expect(401);
  });

  it('answers 404 for an unknown order', async () => {
    const t = buildTestApp();

    await request(t.app).delete(`/api/orders/${newObjectId()}`).set('Cookie', t.signin()).expect(404);
  });
});
