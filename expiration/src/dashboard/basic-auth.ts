import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import type { Logger } from '@grider-ms-tickets/common';
import type { DashboardCredentials } from './credentials';

/** The realm the browser shows in its login prompt. */
export const DASHBOARD_REALM = 'expiration dashboard';

/** Options of {@link basicAuth}. */
export interface BasicAuthOptions {
  credentials: DashboardCredentials;
  /** Where a wrong password is written down. */
  logger: Logger;
}

// Both sides are hashed before they are compared, so the comparison always
// runs over 32 bytes: neither its time nor timingSafeEqual's length check
// tells how long the password is, or how much of it was right.
const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/**
 * The `user:password` of an `Authorization: Basic …` header.
 *
 * @param header - the header, if any
 * @returns the decoded pair, or undefined when the header is missing or of another scheme
 */
function basicCredentials(header: string | undefined): string | undefined {
  const match = /^Basic +([A-Za-z0-9+/]+=*) *$/i.exec(header ?? '');
  return match ? Buffer.from(match[1], 'base64').toString('utf8') : undefined;
}

/**
 * HTTP Basic auth for one login. A request without the right `user:password`
 * gets 401 with `WWW-Authenticate: Basic realm="expiration dashboard"`, which
 * makes a browser ask for them; a wrong password is logged at warn (without
 * the password), a request with none is the browser's first try and is not.
 *
 * @param options - the login and the logger
 * @returns the middleware
 */
export function basicAuth(options: BasicAuthOptions): RequestHandler {
  const expected = digest(`${options.credentials.user}:${options.credentials.password}`);
  return (req, res, next) => {
    const given = basicCredentials(req.headers.authorization);
    // The whole pair is compared at once: a user name cannot hold a `:` (RFC 7617),
    // so equal pairs mean an equal user and password, and no early exit says which was wrong.
    if (given !== undefined && timingSafeEqual(digest(given), expected)) {
      next();
      return;
    }
    if (given !== undefined) {
      options.logger.warn({ path: req.originalUrl, ip: req.ip }, 'dashboard login refused: wrong user or password');
    }
    res.set('WWW-Authenticate', `Basic realm="${DASHBOARD_REALM}"`).status(401).send('Unauthorized');
  };
}
