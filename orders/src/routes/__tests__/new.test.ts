import { OrderStatus, Subjects, type OrderCreatedEvent } from '@grider-ms-tickets/common';
import request from 'supertest';
import { newObjectId } from '../../store';
import { TEST_EXPIRATION_WINDOW_SECONDS, buildTestApp } from '../../test/test-app';

describe('POST /api/orders', () => {
  it('answers 401 without a session', async () => {
    const { app, bus } = buildTestApp();

    await request(app).post('/api/orders').send({ ticketId: newObjectId() }).expect(401);

    expect(bus.published).toEqual([]);
  });

  it.each([
    ['missing', {}],
    ['malformed', { ticketId: 'not-an-id' }],
  ])('answers 400 when the ticketId is %s', async (_case, body) => {
    const { app, signin } = buildTestApp();

    const res = await request(app).post('/api/orders').set('Cookie', signin()).send(body).expect(400);

    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'ticketId' })]);
  });

  it('answers 404 when the ticket does not exist', async () => {
    const { app, signin, bus } = buildTestApp();

    await request(app).post('/api/orders').set('Cookie', signin()).send({ ticketId: newObjectId() }).expect(404);

    expect(bus.published).toEqual([]);
  });

  it('answers 400 when the ticket is already reserved', async () => {
    const { app, signin, aTicket, bus } = buildTestApp();
    const ticket = await aTicket();
    await request(app).post('/api/orders').set('Cookie', signin()).send({ ticketId: ticket.id }).expect(201);

    const res = await request(app)
      .post('/api/orders')
      .set('Cookie', signin())
      .send({ ticketId: ticket.id })
      .expect(400);

    expect(res.body.errors).toEqual([{ message: 'Ticket is already reserved' }]);
    expect(bus.publishedOn(Subjects.OrderCreated)).toHaveLength(1);
  });

  it('reserves a ticket: 201 with the order, which expires at the end of the window', async () => {
    const { app, signin, aTicket } = buildTestApp();
    const ticket = await aTicket('concert', 20);
    const userId = newObjectId();
    const before = Date.now();

    const res = await request(app)
      .post('/api/orders')
      .set('Cookie', signin(userId))
      .send({ ticketId: ticket.id })
      .expect(201);

    expect(res.body).toEqual({
      id: expect.any(String),
      userId,
      status: OrderStatus.Created,
      expiresAt: expect.any(String),
      version: 0,
      ticket: { id: ticket.id, title: 'concert', price: 20, version: 0 },
    });
    const expiresAt = Date.parse(res.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + TEST_EXPIRATION_WINDOW_SECONDS * 1000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + TEST_EXPIRATION_WINDOW_SECONDS * 1000);
  });

  it('publishes order:created with the ticket id and price and expiresAt as an ISO string', async () => {
    const { app, signin, aTicket, bus } = buildTestApp();
    const ticket = await aTicket('concert', 20);
    const userId = newObjectId();

    const res = await request(app)
      .post('/api/orders')
      .set('Cookie', signin(userId))
      .send({ ticketId: ticket.id })
      .expect(201);

    expect(bus.publishedOn<OrderCreatedEvent>(Subjects.OrderCreated)).toEqual([
      {
        id: res.body.id,
        version: 0,
        status: OrderStatus.Created,
        userId,
        expiresAt: res.body.expiresAt,
        ticket: { id: ticket.id, price: 20 },
      },
    ]);
    expect(new Date(res.body.expiresAt).toISOString()).toBe(res.body.expiresAt);
  });

  it('counts the new order in orders_transitions_total', async () => {
    const { app, signin, aTicket, metrics } = buildTestApp();
    const ticket = await aTicket();

    await request(app).post('/api/orders').set('Cookie', signin()).send({ ticketId: ticket.id }).expect(201);

    expect((await metrics.transitions.get()).values).toContainEqual(
      expect.objectContaining({ labels: { transition: 'created' }, value: 1 }),
    );
  });

  it('once order:created is acknowledged, the order owes nothing', async () => {
    const { app, signin, aTicket, store } = buildTestApp();
    const ticket = await aTicket();

    const res = await request(app)
      .post('/api/orders')
      .set('Cookie', signin())
      .send({ ticketId: ticket.id })
      .expect(201);

    expect((await store.orders.findById(res.body.id))?.pendingEvents).toEqual([]);
  });

  // The order exists and keeps its ticket; its order:created is owed, and the
  // sweeper publishes it (see order-sweeper.test.ts).
  it('when order:created cannot be published, answers 201 all the same, and the order owes the event', async () => {
    const { app, signin, aTicket, bus, store, logs, metrics } = buildTestApp();
    const ticket = await aTicket();
    bus.failNextPublishes(1);

    const res = await request(app)
      .post('/api/orders')
      .set('Cookie', signin())
      .send({ ticketId: ticket.id })
      .expect(201);

    expect(bus.publishedOn(Subjects.OrderCreated)).toEqual([]);
    expect(await store.orders.findById(res.body.id)).toMatchObject({
      status: OrderStatus.Created,
      version: 0,
      pendingEvents: [{ subject: Subjects.OrderCreated, version: 0, since: expect.any(Date) }],
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', orderId: res.body.id, subject: Subjects.OrderCreated }),
    );
    expect(logs.filter((l) => l.level === 'error')).toEqual([]);
    expect((await metrics.publishFailures.get()).values).toContainEqual(
      expect.objectContaining({ labels: { subject: Subjects.OrderCreated }, value: 1 }),
    );
    await request(app).post('/api/orders').set('Cookie', signin()).send({ ticketId: ticket.id }).expect(400);
  });
});
