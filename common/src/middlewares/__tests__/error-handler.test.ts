import type { NextFunction, Request, Response } from 'express';
import pino from 'pino';
import express from 'express';
import request from 'supertest';
import { BadRequestError } from '../../errors/bad-request-error';
import { DatabaseConnectionError } from '../../errors/database-connection-error';
import { NotFoundError } from '../../errors/not-found-error';
import { createErrorHandler, errorHandler } from '../error-handler';
import { createRequestLogger } from '../request-logger';
import { buildApp } from './test-app';

interface LogLine {
  level: number;
  msg: string;
  err?: { type: string; message: string; stack: string };
  method?: string;
  url?: string;
}

/** A pino logger that writes its JSON lines into an array. */
function capturingLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

function appThrowing(err: unknown, logger?: pino.Logger) {
  return buildApp(
    (app) => {
      app.post('/echo', (req, res) => {
        res.send(req.body);
      });
      app.get('/items/:id', (req, res) => {
        res.send({ id: req.params.id });
      });
      app.get('/boom', async () => {
        // Async on purpose: express 5 forwards rejected promises to the error handler.
        await Promise.resolve();
        throw err;
      });
      app.use((_req, _res) => {
        throw new NotFoundError();
      });
      app.use(createErrorHandler(logger));
    },
    { jsonLimit: '1kb' },
  );
}

describe('createErrorHandler', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('answers a CustomError with its status and serialized errors', async () => {
    const app = appThrowing(new BadRequestError('Ticket is already reserved'));

    const res = await request(app).get('/boom');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Ticket is already reserved' }] });
  });

  it('answers an unknown route with 404 through NotFoundError', async () => {
    const app = appThrowing(new Error('unused'));

    const res = await request(app).get('/nowhere');

    expect(res.status).toBe(404);
    expect(res.body).toEqual({ errors: [{ message: 'Not Found' }] });
  });

  it('answers 503 for a database that is down, and logs the reason at warn level', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing(new DatabaseConnectionError('orders-mongo refused'), logger);

    const res = await request(app).get('/boom');

    expect(res.status).toBe(503);
    expect(res.body).toEqual({ errors: [{ message: 'Error connecting to database' }] });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, msg: 'orders-mongo refused' });
  });

  it('does not log client errors', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing(new BadRequestError('bad'), logger);

    await request(app).get('/boom');

    expect(lines).toEqual([]);
  });

  it('answers a malformed JSON body with 400', async () => {
    const app = appThrowing(new Error('unused'));

    const res = await request(app).post('/echo').set('Content-Type', 'application/json').send('{"title": ');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({ errors: [{ message: 'Malformed JSON body' }] });
  });

  it('answers a body over the limit with 413', async () => {
    const app = appThrowing(new Error('unused'));

    const res = await request(app)
      .post('/echo')
      .send({ title: 'x'.repeat(2048) });

    expect(res.status).toBe(413);
    expect(res.body).toEqual({ errors: [{ message: 'Request body is too large' }] });
  });

  it('answers a JSON body in an unsupported charset with 415, naming the charset', async () => {
    const app = appThrowing(new Error('unused'));

    const res = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json; charset=latin1')
      .send('{"title":"x"}');

    expect(res.status).toBe(415);
    expect(res.body).toEqual({ errors: [{ message: 'Unsupported charset "LATIN1"' }] });
  });

  it('answers a body in an unsupported content encoding with 415, naming the encoding', async () => {
    const app = appThrowing(new Error('unused'));

    const res = await request(app)
      .post('/echo')
      .set('Content-Type', 'application/json')
      .set('Content-Encoding', 'bogus')
      .send('{"title":"x"}');

    expect(res.status).toBe(415);
    expect(res.body).toEqual({ errors: [{ message: 'Unsupported content encoding "bogus"' }] });
  });

  it('answers a path with an invalid percent escape with 400', async () => {
    const app = appThrowing(new Error('unused'));

    const res = await request(app).get('/items/%E0%A4%A');

    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      errors: [{ message: 'Malformed URL: a path segment has an invalid percent escape' }],
    });
  });

  it('logs client errors at info level with the status and reason, never at error level', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing(new Error('unused'), logger);

    await request(app).post('/echo').set('Content-Type', 'application/json').send('{"title": ');
    await request(app).post('/echo').set('Content-Type', 'application/json; charset=latin1').send('{}');
    await request(app).get('/items/%E0%A4%A');

    expect(lines.map((l) => [l.level, (l as { status?: number }).status])).toEqual([
      [30, 400],
      [30, 415],
      [30, 400],
    ]);
    expect(lines[1]).toMatchObject({ msg: 'client error', reason: 'Unsupported charset "LATIN1"', url: '/echo' });
  });

  it('answers any error with a 4xx status, as http-errors makes them, with that status and its message', async () => {
    const gone = Object.assign(new Error('order archive is gone'), { status: 410, expose: true });
    const app = appThrowing(gone);

    const res = await request(app).get('/boom');

    expect(res.status).toBe(410);
    expect(res.body).toEqual({ errors: [{ message: 'Order archive is gone' }] });
  });

  it('reads statusCode too, and names the status when the message is not marked for the client', async () => {
    const app = appThrowing(Object.assign(new Error('internal detail'), { statusCode: 429 }));

    const res = await request(app).get('/boom');

    expect(res.status).toBe(429);
    expect(res.body).toEqual({ errors: [{ message: 'Too Many Requests' }] });
    expect(res.text).not.toContain('internal detail');
  });

  it('answers a 4xx error whose expose is false with a generic 500, logged at error level', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing(Object.assign(new Error('not for clients'), { status: 400, expose: false }), logger);

    const res = await request(app).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(lines).toEqual([expect.objectContaining({ level: 50 })]);
  });

  it('answers an error with a 5xx status with a generic 500, logged at error level', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing(Object.assign(new Error('upstream down'), { status: 502 }), logger);

    const res = await request(app).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(lines).toEqual([expect.objectContaining({ level: 50 })]);
  });

  it('answers an unknown error with a generic 500, hiding its message and stack', async () => {
    const { logger } = capturingLogger();
    const app = appThrowing(new Error('secret connection string mongodb://admin:pw@db'), logger);

    const res = await request(app).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(res.text).not.toContain('secret');
    expect(res.text).not.toContain('at ');
  });

  it('logs an unknown error at error level with its stack and the request', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing(new TypeError('cannot read properties of undefined'), logger);

    await request(app).get('/boom');

    expect(lines).toHaveLength(1);
    const [line] = lines;
    expect(line).toMatchObject({ level: 50, method: 'GET', url: '/boom' });
    expect(line?.err).toMatchObject({ type: 'TypeError', message: 'cannot read properties of undefined' });
    expect(line?.err?.stack).toContain('TypeError: cannot read properties of undefined');
  });

  it('names the request id in the error line when the request logger gave the request one', async () => {
    const { logger, lines } = capturingLogger();
    const app = express();
    app.use(createRequestLogger(logger));
    app.get('/boom', () => {
      throw new TypeError('broken');
    });
    app.use(createErrorHandler(logger));

    await request(app).get('/boom').set('X-Request-Id', 'req-err-1').expect(500);

    expect(lines.find((line) => line.err?.message === 'broken')).toMatchObject({ reqId: 'req-err-1', url: '/boom' });
  });

  it('answers a thrown non-Error with a generic 500 too', async () => {
    const { logger, lines } = capturingLogger();
    const app = appThrowing('a bare string', logger);

    const res = await request(app).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(lines).toHaveLength(1);
  });

  it('hands the error to express when the response has already started', () => {
    const err = new BadRequestError('too late');
    const res = { headersSent: true, status: jest.fn() } as unknown as Response;
    const next = jest.fn() as NextFunction;

    createErrorHandler()(err, {} as Request, res, next);

    expect(next).toHaveBeenCalledWith(err);
    expect(res.status).not.toHaveBeenCalled();
  });
});

describe('errorHandler', () => {
  afterEach(() => {
    jest.restoreAllMocks();
  });

  it('logs an unknown error to console.error and answers a generic 500', async () => {
    const consoleError = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const boom = new Error('kaboom');
    const app = buildApp((a) => {
      a.get('/boom', () => {
        throw boom;
      });
      a.use(errorHandler);
    });

    const res = await request(app).get('/boom');

    expect(res.status).toBe(500);
    expect(res.body).toEqual({ errors: [{ message: 'Something went wrong' }] });
    expect(consoleError).toHaveBeenCalledTimes(1);
    expect(consoleError.mock.calls[0]).toContain(boom);
  });
});
