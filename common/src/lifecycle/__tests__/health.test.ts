import express from 'express';
import request from 'supertest';
import { FakeEventBus } from '../../testing';
import { waitFor } from '../../testing/wait-for';
import { busLiveness } from '../bus-liveness';
import { createHealthRouter, type HealthCheck } from '../health';

function appWith(checks: Record<string, HealthCheck>, timeoutMs?: number, liveness?: Record<string, HealthCheck>) {
  const app = express();
  app.use(createHealthRouter({ checks, timeoutMs, liveness }));
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

  it('answers /healthz with 200 and each result when every liveness check passes', async () => {
    const app = appWith({ nats: () => false }, undefined, { nats: () => true, worker: async () => true });

    const res = await request(app).get('/healthz');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', checks: { nats: 'ok', worker: 'ok' } });
  });

  it('answers /healthz with 503 when a liveness check fails, throws or hangs, naming it', async () => {
    const app = appWith({}, 50, {
      nats: () => false,
      broken: () => {
        throw new Error('boom');
      },
      hung: () => new Promise<boolean>(() => {}),
      redis: () => true,
    });

    const res = await request(app).get('/healthz');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({
      status: 'failing',
      checks: { nats: 'failing', broken: 'failing', hung: 'failing', redis: 'ok' },
    });
  });
});

describe('busLiveness', () => {
  it('passes while the bus is up, and while it has been down for less than the grace period', () => {
    const bus = new FakeEventBus();
    const live = busLiveness(bus, 60_000);
    const whileUp = live();

    bus.setConnected(false);

    expect(whileUp).toBe(true);
    expect(live()).toBe(true);
  });

  it('fails once the bus has been down longer than the grace period, and passes again when it is back', async () => {
    const bus = new FakeEventBus();
    const live = busLiveness(bus, 30);
    const app = appWith({}, undefined, { nats: live });

    bus.setConnected(false);
    await waitFor(() => !live(), { what: 'the grace period to pass' });
    const res = await request(app).get('/healthz');
    bus.setConnected(true);

    expect(res.status).toBe(503);
    expect(res.body.checks).toEqual({ nats: 'failing' });
    expect(live()).toBe(true);
  });

  it('fails after the grace period for a bus lost for good', async () => {
    const bus = new FakeEventBus();
    const live = busLiveness(bus, 30);

    bus.loseConnection();
    await waitFor(() => !live(), { what: 'the grace period to pass' });

    expect(bus.downForMs()).toBeGreaterThan(30);
  });
});
