import { sign } from 'jsonwebtoken';

/** The signed-in user a session carries, as the auth service signs it. */
export interface SessionUser {
  id: string;
  email: string;
}

/**
 * Builds the `Cookie` header value the auth service's session amounts to: a
 * cookie-session cookie named `session`, holding `{ jwt }` as base64 JSON,
 * with the JWT signed (HS256) with JWT_KEY.
 *
 * @param user - the user
 * @param jwtKey - the key the services share
 * @returns `session=…`, for a `Cookie` header
 */
export function sessionCookie(user: SessionUser, jwtKey: string): string {
  const jwt = sign({ id: user.id, email: user.email }, jwtKey, { algorithm: 'HS256' });
  return `session=${Buffer.from(JSON.stringify({ jwt })).toString('base64')}`;
}
