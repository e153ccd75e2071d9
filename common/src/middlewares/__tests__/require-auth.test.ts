import { sign } from 'jsonwebtoken';
import request from 'supertest';
import { createCurrentUser } from '../current-user';
import { errorHandler } from '../error-handler';
import { requireAuth } from '../require-auth';
import { buildApp, sessionCookie } from './test-app';

const KEY = 'require-auth-test-key';

const app = buildApp((a) => {
  a.use(createCurrentUser(KEY));
  a.get('/api/orders', requireAuth, (_req, res) => {
    res.send({ ok: true });
  });
  a.use(errorHandler);
});

describe('requireAuth', () => {
  it('answers 401 Not authorized when no user is signed in', async () => {
    const res = await request(app).get('/api/orders');

    expect(res.status).toBe(401);
    expect(res.body).toEqual({ errors: [{ message: 'Not authorized' }] });
  });

  it('answers 401 when the session token is invalid', async () => {
    const cookie = sessionCookie(sign({ id: 'u1', email: 'a@b.c' }, 'wrong-key'));

    const res = await request(app).get('/api/orders').set('Cookie', cookie);

    expect(res.status).toBe(401);
  });

  it('lets a signed-in user through', async () => {
    const cookie = sessionCookie(sign({ id: 'u1', email: 'a@b.c' }, KEY));

    const res = await request(app).get('/api/orders').set('Cookie', cookie);

    expect(res.status).toBe(200);
    expect(res.body).toEqual({ ok: true });
  });
});
