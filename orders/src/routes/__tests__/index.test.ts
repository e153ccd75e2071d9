import request from 'supertest';
import { newObjectId } from '../../store';
import { buildTestApp } from '../../test/test-app';

describe('GET /api/orders', () => {
  it('answers 401 without a session', async () => {
    const { app } = buildTestApp();

    await request(app).get('/api/orders').expect(401);
  });

  it("lists the caller's own orders, with their tickets", async () => {
    const { app, signin, aTicket } = buildTestApp();
    const [one, two, three] = await Promise.all([aTicket('one'), aTicket('two'), aTicket('three')]);
    const alice = newObjectId();
    const bob = newObjectId();
    await request(app).post('/api/orders').set('Cookie', signin(bob)).send({ ticketId: one.id }).expect(201);
    const first = await request(app)
      .post('/api/orders')
      .set('Cookie', signin(alice))
      .send({ ticketId: two.id })
      .expect(201);
    const second = await request(app)
      .post('/api/orders')
      .set('Cookie', signin(alice))
      .send({ ticketId: three.id })
      .expect(201);

    const res = await request(app).get('/api/orders').set('Cookie', signin(alice)).expect(200);

    expect(res.body).toEqual([first.body, second.body]);
    expect(res.body.map((o: { ticket: { title: string } }) => o.ticket.title)).toEqual(['two', 'three']);
  });

  it('answers an empty list to a user without orders', async () => {
    const { app, signin } = buildTestApp();

    const res = await request(app).get('/api/orders').set('Cookie', signin()).expect(200);

    expect(res.body).toEqual([]);
  });
});
