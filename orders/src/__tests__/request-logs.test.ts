import { REQUEST_ID_HEADER } from '@grider-ms-tickets/common';
import request from 'supertest';
import { buildTestApp } from '../test/test-app';

describe('request logs', () => {
  it('writes one line per request with its id, which the response echoes', async () => {
    const t = buildTestApp();

    const res = await request(t.app).get('/api/orders').set('Cookie', t.signin()).expect(200);

    const id = res.headers[REQUEST_ID_HEADER];
    expect(t.logs.filter((line) => line.reqId === id)).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        req: expect.objectContaining({ method: 'GET', url: '/api/orders' }),
        res: { statusCode: 200 },
      }),
    ]);
  });

  it("keeps the caller's x-request-id", async () => {
    const t = buildTestApp();

    const res = await request(t.app).get('/api/orders').set('X-Request-Id', 'edge-42').expect(401);

    expect(res.headers[REQUEST_ID_HEADER]).toBe('edge-42');
    expect(t.logs).toContainEqual(expect.objectContaining({ reqId: 'edge-42', res: { statusCode: 401 } }));
  });

  it('never writes the session cookie', async () => {
    const t = buildTestApp();
    const cookie = t.signin();

    await request(t.app).get('/api/orders').set('Cookie', cookie).set('Authorization', 'Bearer x.y.z').expect(200);

    const written = JSON.stringify(t.logs);
    expect(written).not.toContain(cookie.slice('session='.length));
    expect(written).not.toContain('x.y.z');
  });

  it('logs the probes and the scrape at debug level only', async () => {
    const t = buildTestApp();

    await request(t.app).get('/healthz').expect(200);
    await request(t.app).get('/readyz').expect(200);
    await request(t.app).get('/metrics').expect(200);

    const requestLines = t.logs.filter((line) => line.reqId !== undefined);
    expect(requestLines.map((line) => line.level)).toEqual(['debug', 'debug', 'debug']);
  });
});
