import express, { type Express } from 'express';
import request from 'supertest';
import type { LogLine } from '../../testing/capture-logs';
import { createLogger } from '../../logging/logger';
import { REQUEST_ID_HEADER, createRequestLogger, requestIdOf } from '../request-logger';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** An app with the request logger first, a route that answers its request id, probes, and a failing route. */
function appLogging(level: 'debug' | 'info' = 'debug'): { app: Express; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    name: 'request-logger-test',
    level,
    destination: { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) },
  });
  const app = express();
  app.set('trust proxy', 1);
  app.use(createRequestLogger(logger));
  app.get('/healthz', (_req, res) => void res.send({ ok: true }));
  app.get('/readyz', (_req, res) => void res.status(503).send({ ok: false }));
  app.get('/metrics', (_req, res) => void res.send('# nothing'));
  app.get('/api/things/:id', (req, res) => void res.send({ requestId: requestIdOf(req) }));
  app.get('/api/broken', (_req, res) => void res.status(500).send({ errors: [{ message: 'Something went wrong' }] }));
  return { app, lines };
}

const requestLines = (lines: LogLine[]) => lines.filter((l) => typeof l.reqId === 'string');

describe('createRequestLogger', () => {
  it('logs one line per request at info level, with its id, method, url, status and response time', async () => {
    const { app, lines } = appLogging();

    const res = await request(app).get('/api/things/42?x=1').expect(200);

    const id = res.headers[REQUEST_ID_HEADER];
    expect(requestLines(lines)).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'request completed',
        reqId: id,
        req: { id, method: 'GET', url: '/api/things/42?x=1', remoteAddress: expect.any(String) },
        res: { statusCode: 200 },
        responseTime: expect.any(Number),
      }),
    ]);
  });

  it('keeps a sane incoming x-request-id, echoes it back and hands it to the route', async () => {
    const { app, lines } = appLogging();

    const res = await request(app).get('/api/things/1').set('X-Request-Id', 'req-abc_123.DEF').expect(200);

    expect(res.headers[REQUEST_ID_HEADER]).toBe('req-abc_123.DEF');
    expect(res.body).toEqual({ requestId: 'req-abc_123.DEF' });
    expect(requestLines(lines)[0].reqId).toBe('req-abc_123.DEF');
  });

  it.each([
    ['no x-request-id', undefined],
    ['an empty one', ''],
    ['one over 128 characters', 'a'.repeat(129)],
    ['one with a space', 'two words'],
    ['one with a non-ASCII character', 'caf\u00e9'],
  ])('with %s, makes a new UUID and echoes it', async (_case, incoming) => {
    const { app } = appLogging();

    const call = request(app).get('/api/things/1');
    const res = await (incoming === undefined ? call : call.set('X-Request-Id', incoming)).expect(200);

    expect(res.headers[REQUEST_ID_HEADER]).toMatch(UUID);
    expect(res.body.requestId).toBe(res.headers[REQUEST_ID_HEADER]);
  });

  it('gives each request its own new id', async () => {
    const { app } = appLogging();

    const first = await request(app).get('/api/things/1');
    const second = await request(app).get('/api/things/1');

    expect(first.headers[REQUEST_ID_HEADER]).not.toBe(second.headers[REQUEST_ID_HEADER]);
  });

  it('writes no cookie, Authorization or other header value', async () => {
    const { app, lines } = appLogging();

    await request(app)
      .get('/api/things/1')
      .set('Cookie', 'session=secret-session-value')
      .set('Authorization', 'Bearer secret-token-value')
      .set('X-Api-Key', 'secret-key-value')
      .expect(200);

    const written = JSON.stringify(lines);
    expect(written).not.toMatch(/secret-(session|token|key)-value/);
    expect(requestLines(lines)[0]).not.toHaveProperty('req.headers');
  });

  it('logs the probes and the scrape at debug level only, whatever their status', async () => {
    const { app, lines } = appLogging();

    await request(app).get('/healthz').expect(200);
    await request(app).get('/readyz').expect(503);
    await request(app).get('/metrics?name[]=up').expect(200);

    expect(requestLines(lines).map((l) => [l.level, (l.req as { url: string }).url])).toEqual([
      ['debug', '/healthz'],
      ['debug', '/readyz'],
      ['debug', '/metrics?name[]=up'],
    ]);
  });

  it('writes nothing for the probes with an info-level logger', async () => {
    const { app, lines } = appLogging('info');

    await request(app).get('/healthz').expect(200);
    await request(app).get('/api/things/1').expect(200);

    expect(requestLines(lines).map((l) => (l.req as { url: string }).url)).toEqual(['/api/things/1']);
  });

  it('logs a 5xx response at warn level', async () => {
    const { app, lines } = appLogging();

    await request(app).get('/api/broken').expect(500);

    expect(requestLines(lines)).toEqual([expect.objectContaining({ level: 'warn', res: { statusCode: 500 } })]);
  });

  it("writes the client's address as express sees it through the trusted proxy", async () => {
    const { app, lines } = appLogging();

    await request(app).get('/api/things/1').set('X-Forwarded-For', '203.0.113.9').expect(200);

    expect(requestLines(lines)[0]).toHaveProperty('req.remoteAddress', '203.0.113.9');
  });
});

describe('requestIdOf', () => {
  it('is undefined for a request that did not go through the request logger', async () => {
    const app = express();
    app.get('/', (req, res) => void res.send({ requestId: requestIdOf(req) ?? null }));

    const res = await request(app).get('/').set('X-Request-Id', 'abc').expect(200);

    expect(res.body).toEqual({ requestId: null });
  });
});
