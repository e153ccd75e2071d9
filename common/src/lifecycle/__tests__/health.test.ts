import express from 'express';
import request from 'supertest';
import { createHealthRouter, type HealthCheck } from '../health';

function appWith(checks: Record<string, HealthCheck>, timeoutMs?: number) {
  const app = express();
  app.use(createHealthRouter({ checks, timeoutMs }));
  return app;
}

describe('createHealthRouter', () => {
  it('answers /healthz with 200 whatever the checks say', async () => {
    const app = appWith({ nats: () => false });

    const res = await request(app).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('answers /readyz with 200 when every check passes, sync or async', async () => {
    const app = appWith({ redis: () => true, nats: async () => true });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ready', checks: { redis: 'ok', nats: 'ok' } });
  });

  it('answers /readyz with 200 when there are no checks', async () => {
    const res = await request(appWith({})).get('/readyz');

    expect(res.status).toBe(200);
  });

  it('answers /readyz with 503 when a check fails, naming it', async () => {
    const app = appWith({ redis: () => true, nats: async () => false });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: 'not ready', checks: { redis: 'ok', nats: 'failing' } });
  });

  it('answers /readyz with 503 when a check throws or rejects', async () => {
    const app = appWith({
      sync: () => {
        throw new Error('boom');
      },
      async: async () => {
        throw new Error('boom');
      },
    });

    const res = await request(app).get('/readyz');

    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ sync: 'failing', async: 'failing' });
  });

  it('answers /readyz with 503 when a check hangs past the timeout', async () => {
    let release = () => {};
    const app = appWith({ mongo: () => new Promise<boolean>((resolve) => (release = () => resolve(true))) }, 50);

    const res = await request(app).get('/readyz');
    release();

    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ mongo: 'failing' });
  });
});
