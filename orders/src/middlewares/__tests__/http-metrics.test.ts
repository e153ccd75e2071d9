import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { OrdersMetrics } from '../../metrics';
import { buildTestApp } from '../../test/test-app';
import { waitFor } from '@grider-ms-tickets/common/testing';
import { createHttpMetrics } from '../http-metrics';

/** The observation count of each labelled series of the request histogram, as `method route status` lines. */
async function requestCounts(metrics: OrdersMetrics): Promise<Record<string, number>> {
  const { values } = await metrics.httpRequestDuration.get();
  return Object.fromEntries(
    values
      .filter((v) => v.metricName === 'http_request_duration_seconds_count')
      .map((v) => [`${v.labels.method} ${v.labels.route} ${v.labels.status_code}`, v.value]),
  );
}

describe('http_request_duration_seconds', () => {
  it('labels a request by its route pattern, never its raw path', async () => {
    const t = buildTestApp();
    const cookie = t.signin();
    const ticket = await t.aTicket();
    const created = await request(t.app).post('/api/orders').set('Cookie', cookie).send({ ticketId: ticket.id });

    await request(t.app).get(`/api/orders/${created.body.id}`).set('Cookie', cookie).expect(200);
    await request(t.app).delete(`/api/orders/${created.body.id}`).set('Cookie', cookie).expect(204);
    await request(t.app).get('/api/orders').set('Cookie', cookie).expect(200);

    expect(await requestCounts(t.metrics)).toEqual({
      'POST /api/orders 201': 1,
      'GET /api/orders/:orderId 200': 1,
      'DELETE /api/orders/:orderId 204': 1,
      'GET /api/orders 200': 1,
    });
    const exposed = (await request(t.app).get('/metrics')).text;
    expect(exposed).toContain(
      'http_request_duration_seconds_count{method="GET",route="/api/orders/:orderId",status_code="200"} 1',
    );
    expect(exposed).not.toContain(created.body.id);
  });

  it('keeps the route of a request its route refused, such as a 401 without a session or a 400 for a bad id', async () => {
    const t = buildTestApp();

    await request(t.app).get('/api/orders/64b000000000000000000001').expect(401);
    await request(t.app).get('/api/orders/not-an-id').set('Cookie', t.signin()).expect(400);

    expect(await requestCounts(t.metrics)).toEqual({
      'GET /api/orders/:orderId 401': 1,
      'GET /api/orders/:orderId 400': 1,
    });
  });

  it('labels a request that matched no route as unmatched, whatever its path', async () => {
    const t = buildTestApp();

    await request(t.app).get('/api/orders/a/b/c').expect(404);
    await request(t.app).get('/wp-login.php').expect(404);
    await request(t.app).put('/api/orders/64b000000000000000000001').expect(404);

    expect(await requestCounts(t.metrics)).toEqual({ 'GET unmatched 404': 2, 'PUT unmatched 404': 1 });
  });

  it('does not count the probes and the scrape', async () => {
    const t = buildTestApp();

    await request(t.app).get('/healthz').expect(200);
    await request(t.app).get('/readyz').expect(200);
    await request(t.app).get('/metrics').expect(200);

    expect(await requestCounts(t.metrics)).toEqual({});
  });

  it('records a request whose client closed the connection before the answer as 499', async () => {
    const metrics = new OrdersMetrics();
    let arrived = () => {};
    const handlerReached = new Promise<void>((resolve) => (arrived = resolve));
    const app = express();
    app.use(createHttpMetrics(metrics.httpRequestDuration));
    // Never answers: the client gives up first.
    app.get('/slow', () => arrived());
    const server = http.createServer(app).listen(0);
    await once(server, 'listening');
    try {
      const req = http.get({ port: (server.address() as AddressInfo).port, path: '/slow' });
      req.on('error', () => undefined);
      await handlerReached;

      req.destroy();

      const counts = await waitFor(async () => {
        const c = await requestCounts(metrics);
        return Object.keys(c).length > 0 ? c : undefined;
      }, 'the aborted request to be recorded');
      expect(counts).toEqual({ 'GET /slow 499': 1 });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
