import type { Express, RequestHandler } from 'express';
import { sign } from 'jsonwebtoken';
import request from 'supertest';
import { createCurrentUser, currentUser } from '../current-user';
import { buildApp, sessionCookie } from './test-app';

const KEY = 'current-user-test-key';
const USER = { id: '5f1d7c1e9b1e8a3b2c4d6e8f', email: 'test@test.com' };

function appWith(middleware: RequestHandler): Express {
  return buildApp((app) => {
    app.use(middleware);
    app.get('/api/users/currentuser', (req, res) => {
      res.send({ currentUser: req.currentUser ?? null });
    });
  });
}

describe('createCurrentUser', () => {
  const app = appWith(createCurrentUser(KEY));

  it('sets the user from a valid JWT in the session', async () => {
    const cookie = sessionCookie(sign(USER, KEY));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: USER });
  });

  it('keeps only id and email of the token payload', async () => {
    const cookie = sessionCookie(sign({ ...USER, role: 'admin' }, KEY));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.body).toEqual({ currentUser: USER });
  });

  it('leaves the user anonymous when there is no session', async () => {
    const res = await request(app).get('/api/users/currentuser');

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the JWT is signed with another key', async () => {
    const cookie = sessionCookie(sign(USER, 'someone-else'));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the JWT is garbage', async () => {
    const res = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie('not.a.jwt'));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the JWT has expired', async () => {
    const expired = sign({ ...USER, exp: Math.floor(Date.now() / 1000) - 60 }, KEY);

    const res = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie(expired));

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the JWT is not HS256', async () => {
    const hs512 = sign(USER, KEY, { algorithm: 'HS512' });

    const res = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie(hs512));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the payload lacks id or email', async () => {
    const cookie = sessionCookie(sign({ id: USER.id }, KEY));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.body).toEqual({ currentUser: null });
  });

  it('refuses an empty key when the middleware is made', () => {
    expect(() => createCurrentUser('')).toThrow(TypeError);
  });

  it('uses the key exactly as given: a token signed with the trimmed key is refused', async () => {
    const spaced = appWith(createCurrentUser(' spaced-key '));
    const cookie = sessionCookie(sign(USER, 'spaced-key'));

    const res = await request(spaced).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.body).toEqual({ currentUser: null });
  });
});

describe('createCurrentUser with maxAgeSeconds', () => {
  const HOUR = 60 * 60;
  const app = appWith(createCurrentUser(KEY, { maxAgeSeconds: HOUR }));
  const issuedAgo = (seconds: number) => Math.floor(Date.now() / 1000) - seconds;

  it('accepts a token issued within the maximum age', async () => {
    const cookie = sessionCookie(sign({ ...USER, iat: issuedAgo(HOUR - 60) }, KEY));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.body).toEqual({ currentUser: USER });
  });

  it('leaves the user anonymous when the token was issued longer ago, though it has no exp', async () => {
    const cookie = sessionCookie(sign({ ...USER, iat: issuedAgo(HOUR + 60) }, KEY));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the token has no iat, as its age is unknown', async () => {
    const cookie = sessionCookie(sign(USER, KEY, { noTimestamp: true }));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.body).toEqual({ currentUser: null });
  });

  it('without maxAgeSeconds, accepts an old token and one without iat, as the course does', async () => {
    const lenient = appWith(createCurrentUser(KEY));
    const old = sessionCookie(sign({ ...USER, iat: issuedAgo(365 * 24 * HOUR) }, KEY));
    const noIat = sessionCookie(sign(USER, KEY, { noTimestamp: true }));

    const oldRes = await request(lenient).get('/api/users/currentuser').set('Cookie', old);
    const noIatRes = await request(lenient).get('/api/users/currentuser').set('Cookie', noIat);

    expect(oldRes.body).toEqual({ currentUser: USER });
    expect(noIatRes.body).toEqual({ currentUser: USER });
  });

  it.each([0, -5, Number.NaN])('refuses a maxAgeSeconds of %p when the middleware is made', (maxAgeSeconds) => {
    expect(() => createCurrentUser(KEY, { maxAgeSeconds })).toThrow(TypeError);
  });
});

describe('currentUser (reads JWT_KEY from the environment)', () => {
  const app = appWith(currentUser);
  const saved = process.env.JWT_KEY;

  afterEach(() => {
    if (saved === undefined) {
      delete process.env.JWT_KEY;
    } else {
      process.env.JWT_KEY = saved;
    }
    jest.restoreAllMocks();
  });

  it('sets the user from a JWT signed with JWT_KEY, read at request time', async () => {
    process.env.JWT_KEY = 'env-key-set-after-import';
    const cookie = sessionCookie(sign(USER, 'env-key-set-after-import'));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.body).toEqual({ currentUser: USER });
  });

  it('leaves the user anonymous when the JWT is invalid', async () => {
    process.env.JWT_KEY = 'env-key';
    const cookie = sessionCookie(sign(USER, 'another-key'));

    const res = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when the JWT has expired', async () => {
    process.env.JWT_KEY = 'env-key';
    const expired = sign({ ...USER, exp: Math.floor(Date.now() / 1000) - 60 }, 'env-key');

    const res = await request(app).get('/api/users/currentuser').set('Cookie', sessionCookie(expired));

    expect(res.body).toEqual({ currentUser: null });
  });

  it('leaves the user anonymous when there is no session', async () => {
    process.env.JWT_KEY = 'env-key';

    const res = await request(app).get('/api/users/currentuser');

    expect(res.body).toEqual({ currentUser: null });
  });

  // The only test here that runs without JWT_KEY: the warning is once per process.
  it('when JWT_KEY is unset, answers with an anonymous user instead of a 500 and warns once', async () => {
    delete process.env.JWT_KEY;
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const cookie = sessionCookie(sign(USER, KEY));

    const first = await request(app).get('/api/users/currentuser').set('Cookie', cookie);
    const second = await request(app).get('/api/users/currentuser').set('Cookie', cookie);

    expect(first.status).toBe(200);
    expect(first.body).toEqual({ currentUser: null });
    expect(second.status).toBe(200);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(warn.mock.calls[0]?.[0]).toContain('JWT_KEY');
  });
});
