import { sign } from 'jsonwebtoken';
import request from 'supertest';
import { newObjectId } from '../store';
import { TEST_JWT_KEY, buildTestApp, type TestApp } from '../test/test-app';

/** A `Cookie` header holding a session whose JWT carries `claims`, signed with the tests' key. */
function sessionWith(claims: Record<string, unknown>, options: { noTimestamp?: boolean } = {}): string {
  const jwt = sign({ id: newObjectId(), email: 'a@b.c', ...claims }, TEST_JWT_KEY, options);
  return `session=${Buffer.from(JSON.stringify({ jwt })).toString('base64')}`;
}

const errorLines = (t: TestApp) => t.logs.filter((l) => l.level === 'error' || l.level === 'fatal');

describe('client errors', () => {
  it('answers a JSON body in an unsupported charset with 415, naming it, logged below error level', async () => {
    const t = buildTestApp();

    const res = await request(t.app)
      .post('/api/orders')
      .set('Cookie', t.signin())
      .set('Content-Type', 'application/json; charset=latin1')
      .send(JSON.stringify({ ticketId: newObjectId() }))
      .expect(415);

    expect(res.body).toEqual({ errors: [{ message: 'Unsupported charset "LATIN1"' }] });
    expect(errorLines(t)).toEqual([]);
    expect(t.logs).toContainEqual(expect.objectContaining({ level: 'info', status: 415 }));
  });

  it('answers a body in an unsupported content encoding with 415, naming it', async () => {
    const t = buildTestApp();

    const res = await request(t.app)
      .post('/api/orders')
      .set('Cookie', t.signin())
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'bogus')
      .send(JSON.stringify({ ticketId: newObjectId() }))
      .expect(415);

    expect(res.body).toEqual({ errors: [{ message: 'Unsupported content encoding "bogus"' }] });
    expect(errorLines(t)).toEqual([]);
  });

  it('answers a body over the limit with 413', async () => {
    const t = buildTestApp();

    const res = await request(t.app)
      .post('/api/orders')
      .set('Cookie', t.signin())
      .send({ ticketId: newObjectId(), padding: 'x'.repeat(200 * 1024) })
      .expect(413);

    expect(res.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
    expect(errorLines(t)).toEqual([]);
  });

  it('answers malformed JSON with 400', async () => {
    const t = buildTestApp();

    const res = await request(t.app)
      .post('/api/orders')
      .set('Cookie', t.signin())
      .set('Content-Type', 'application/json')
      .send('{"ticketId": ')
      .expect(400);

    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
    expect(errorLines(t)).toEqual([]);
  });

  it.each(['get', 'delete'] as const)(
    'answers %s of a path with an invalid percent escape with 400, naming the URL',
    async (method) => {
      const t = buildTestApp();

      const res = await request(t.app)[method]('/api/orders/%E0%A4%A').set('Cookie', t.signin()).expect(400);

      expect(res.body).toEqual({
        errors: [{ message: 'Malformed URL: a path segment has an invalid percent escape' }],
      });
      expect(errorLines(t)).toEqual([]);
    },
  );
});

describe('HTTP headers and proxies', () => {
  it('does not send X-Powered-By', async () => {
    const t = buildTestApp();

    const res = await request(t.app).get('/api/orders').set('Cookie', t.signin()).expect(200);

    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('trusts as many proxies as TRUST_PROXY_HOPS says, and no more', () => {
    const oneHop = buildTestApp({ trustProxyHops: 1 }).app.get('trust proxy fn') as (a: string, i: number) => boolean;
    const noHop = buildTestApp({ trustProxyHops: 0 }).app.get('trust proxy fn') as (a: string, i: number) => boolean;

    // The address the socket came from (hop 0) is the ingress; hop 1 is whatever the client claimed.
    expect([oneHop('10.0.0.1', 0), oneHop('203.0.113.9', 1)]).toEqual([true, false]);
    expect(noHop('10.0.0.1', 0)).toBe(false);
  });
});

describe('session age (JWT_MAX_AGE)', () => {
  const HOUR = 3600;
  const issuedAgo = (seconds: number) => Math.floor(Date.now() / 1000) - seconds;

  it('answers 401 for a token issued longer ago than the maximum age', async () => {
    const t = buildTestApp({ jwtMaxAgeSeconds: HOUR });

    await request(t.app)
      .get('/api/orders')
      .set('Cookie', sessionWith({ iat: issuedAgo(HOUR + 60) }))
      .expect(401);
  });

  it('answers 401 for a token without iat, whose age is unknown', async () => {
    const t = buildTestApp({ jwtMaxAgeSeconds: HOUR });

    await request(t.app)
      .get('/api/orders')
      .set('Cookie', sessionWith({}, { noTimestamp: true }))
      .expect(401);
  });

  it('accepts a token within the maximum age', async () => {
    const t = buildTestApp({ jwtMaxAgeSeconds: HOUR });

    await request(t.app)
      .get('/api/orders')
      .set('Cookie', sessionWith({ iat: issuedAgo(HOUR - 60) }))
      .expect(200);
  });

  it('without a maximum age, accepts an old token', async () => {
    const t = buildTestApp();

    await request(t.app)
      .get('/api/orders')
      .set('Cookie', sessionWith({ iat: issuedAgo(365 * 24 * HOUR) }))
      .expect(200);
  });
});

describe('GET /metrics', () => {
  it('serves the Prometheus metrics without a session, counting what happened', async () => {
    const t = buildTestApp();
    const ticket = await t.aTicket();
    await request(t.app).post('/api/orders').set('Cookie', t.signin()).send({ ticketId: ticket.id }).expect(201);

    const res = await request(t.app).get('/metrics').expect(200);

    expect(res.headers['content-type']).toContain('text/plain');
    expect(res.text).toContain('orders_transitions_total{transition="created"} 1');
    expect(res.text).toContain('orders_transitions_total{transition="cancelled_by_sweep"} 0');
    expect(res.text).toContain('orders_swept_total 0');
    expect(res.text).toContain('orders_event_publish_failures_total{subject="order:created"} 0');
    expect(res.text).toContain('orders_owed_events_published_total{subject="order:cancelled"} 0');
    expect(res.text).toContain('orders_events_total{subject="expiration:complete",outcome="retried"} 0');
    expect(res.text).toContain(
      'http_request_duration_seconds_count{method="POST",route="/api/orders",status_code="201"} 1',
    );
  });
});
