import jwt from 'jsonwebtoken';
import { newObjectId } from '../../../../orders/src/store/object-id';
import { sessionCookie } from '../../../../orders/src/test/session-cookie';

// The story signs its user in with orders' own builders: the cookie must be the course's.
describe("the story's session", () => {
  it('is the course cookie: session=<base64 of {"jwt"}> with an HS256 token of {id, email}', () => {
    const user = { id: newObjectId(), email: 'newcomer@example.com' };

    const cookie = sessionCookie(user, 'a-key');

    const [name, value] = cookie.split('=');
    const session = JSON.parse(Buffer.from(value, 'base64').toString('utf8')) as { jwt: string };
    expect(name).toBe('session');
    expect(jwt.decode(session.jwt, { complete: true })?.header.alg).toBe('HS256');
    expect(jwt.verify(session.jwt, 'a-key')).toMatchObject(user);
  });

  it('has ids of 24 hex characters, different each time', () => {
    const [a, b] = [newObjectId(), newObjectId()];

    expect(a).toMatch(/^[0-9a-f]{24}$/);
    expect(b).not.toBe(a);
  });
});
