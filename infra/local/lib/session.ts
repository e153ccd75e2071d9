import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** A signed-in user, as the course's auth service would create one. */
export interface SessionUser {
  id: string;
  email: string;
}

/**
 * @returns 24 hex characters, the shape of a MongoDB ObjectId, which every id in the system has
 */
export function objectId(): string {
  // A real ObjectId starts with the time in seconds; that keeps ids in creation order.
  const seconds = Math.floor(Date.now() / 1000)
    .toString(16)
    .padStart(8, '0');
  return seconds + randomBytes(8).toString('hex');
}

/**
 * The course's session cookie: cookie-session (`signed: false`) keeps
 * `{"jwt": "<token>"}` base64-encoded in a cookie named `session`, and the token
 * is an HS256 JWT of `{id, email}` signed with JWT_KEY.
 *
 * @param user - who is signed in
 * @param jwtKey - the services' JWT_KEY
 * @returns the `Cookie` header value
 */
export function sessionCookie(user: SessionUser, jwtKey: string): string {
  const token = jwt.sign({ id: user.id, email: user.email }, jwtKey);
  return `session=${Buffer.from(JSON.stringify({ jwt: token })).toString('base64')}`;
}
