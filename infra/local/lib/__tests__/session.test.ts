import jwt from 'jsonwebtoken';
import { objectId, sessionCookie } from '../session';

describe('sessionCookie', () => {
  it('is the course cookie: session=<base64 of {"jwt"}> with an HS256 token of {id, email}', () => {
    const user = { id: objectId(), email: 'newcomer@example.com' };

    const cookie = sessionCookie(user, 'a-key');

    const [name, value] = cookie.split('=');
    const session = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt: string };
    expect(name).toBe('session');
    expect(jwt.decode(session.jwt, { complete: true })?.header.alg).toBe('HS256');
    expect(jwt.verify(session.jwt, 'a-key')).toMatchObject(user);
  });
});

describe('objectId', () => {
  it('makes 24 hex characters, different each time', () => {
    const [a, b] = [objectId(), objectId()];

    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(b).not.toBe(a);
  });
});
