import request from 'supertest';
import { buildTestApp } from '../test/test-app';
import { fakeDateOnly } from '@grider-ms-tickets/common/testing';

describe('the app', () => {
  it('answers /healthz while the process runs', async () => {
    const { app } = buildTestApp();

    await request(app)
      .get('/healthz')
      .expect(200, { status: 'ok', checks: { nats: 'ok' } });
  });

  it('is ready when the store and NATS are', async () => {
    const { app } = buildTestApp();

    const res = await request(app).get('/readyz').expect(200);

    expect(res.body.checks).toEqual({ store: 'ok', nats: 'ok' });
  });

  it('is not ready while NATS is disconnected', async () => {
    const { app, bus } = buildTestApp();
    bus.setConnected(false);

    const res = await request(app).get('/readyz').expect(503);

    expect(res.body.checks).toEqual({ store: 'ok', nats: 'failing' });
  });

  it('stays alive while NATS is down for less than the grace, and fails /healthz after it', async () => {
    fakeDateOnly(jest);
    try {
      const { app, bus } = buildTestApp({}, { busDownGraceMs: 60_000 });
      bus.setConnected(false);

      jest.setSystemTime(Date.now() + 59_000);
      await request(app).get('/healthz').expect(200);
      jest.setSystemTime(Date.now() + 2_000);
      const res = await request(app).get('/healthz').expect(503);

      expect(res.body.checks).toEqual({ nats: 'failing' });
    } finally {
      jest.useRealTimers();
    }
  });

  it('answers 404 for a route it does not have', async () => {
    const { app, signin } = buildTestApp();

    await request(app).get('/api/nothing-here').set('Cookie', signin()).expect(404);
  });

  it('answers 400 for a malformed JSON body', async () => {
    const { app, signin } = buildTestApp();

    await request(app)
      .post('/api/orders')
      .set('Cookie', signin())
      .set('Content-Type', 'application/json')
      .send('{bad')
      .expect(400);
  });
});
