import request from 'supertest';
import { newObjectId } from '../../store';
import { sessionCookie } from '../../test/session-cookie';
import { buildTestApp } from '../../test/test-app';

describe('GET /api/orders/:orderId', () => {
  it("answers the caller's order with its ticket", async () => {
    const { app, signin, aTicket } = buildTestApp();
    const ticket = await aTicket();
    const user = signin();
    const created = await request(app)
      .post('/api/orders')
      .set('Cookie', user)
      .send({ ticketId: ticket.id })
      .expect(201);

    const res = await request(app).get(`/api/orders/${created.body.id}`).set('Cookie', user).expect(200);

    expect(res.body).toEqual(created.body);
  });

  it('answers 404 for an unknown order', async () => {
    const { app, signin } = buildTestApp();

    await request(app).get(`/api/orders/${newObjectId()}`).set('Cookie', signin()).expect(404);
  });

  it('answers 400 for a malformed id', async () => {
    const { app, signin } = buildTestApp();

    const res = await request(app).get('/api/orders/not-an-id').set('Cookie', signin()).expect(400);

    expect(res.body.errors).toEqual([expect.objectContaining({ field: 'orderId' })]);
  });

  it("answers 401 for another user's order", async () => {
    const { app, signin, aTicket } = buildTestApp();
    const ticket = await aTicket();
    const created = await request(app)
      .post('/api/orders')
      .set('Cookie', signin())
      .send({ ticketId: ticket.id })
      .expect(201);

    await request(app).get(`/api/orders/${created.body.id}`).set('Cookie', signin()).expect(401);
  });

  it('answers 401 without a session', async () => {
    const { app, signin, aTicket } = buildTestApp();
    const ticket = await aTicket();
    const created = await request(app)
      .post('/api/orders')
      .set('Cookie', signin())
      .send({ ticketId: ticket.id })
      .expect(201);

    await request(app).get(`/api/orders/${created.body.id}`).expect(401);
  });

  it('answers 401 for a session signed with another key', async () => {
    const { app } = buildTestApp();

    await request(app)
      .get(`/api/orders/${newObjectId()}`)
      .set('Cookie', sessionCookie({ id: newObjectId(), email: 'a@b.c' }, 'another-key'))
      .expect(401);
  });
});
