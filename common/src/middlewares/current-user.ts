// Brings in @types/cookie-session, which adds `session` to Express.Request.
// The base tsconfig lists `types` explicitly, so it is not picked up otherwise.
import type {} from 'cookie-session';
import type { Request, RequestHandler } from 'express';
import { JsonWebTokenError, verify } from 'jsonwebtoken';

/** The signed-in user, as the auth service puts it in the JWT. */
export interface UserPayload {
  id: string;
  email: string;
}

declare global {
  // Module augmentation of Express's own global namespace; a namespace is the only way to reach it.
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Request {
      /** Set by {@link createCurrentUser} or {@link currentUser} when the session holds a valid JWT. */
      currentUser?: UserPayload;
    }
  }
}

/**
 * Reads the user out of the session's JWT.
 *
 * @returns the user, or undefined when there is no token or it is invalid, expired or of the wrong shape
 */
function readUser(req: Request, jwtKey: string): UserPayload | undefined {
  const token: unknown = req.session?.jwt;
  if (typeof token !== 'string' || token === '') {
    return undefined;
  }
  let payload: unknown;
  try {
    payload = verify(token, jwtKey, { algorithms: ['HS256'] });
  } catch (err) {
    // A bad or expired token is the client's problem: the user is anonymous.
    // TokenExpiredError and NotBeforeError are subclasses. Anything else is a bug.
    if (err instanceof JsonWebTokenError) {
      return undefined;
    }
    throw err;
  }
  if (typeof payload !== 'object' || payload === null) {
    return undefined;
  }
  const { id, email } = payload as Record<string, unknown>;
  return typeof id === 'string' && typeof email === 'string' ? { id, email } : undefined;
}

/**
 * Makes the middleware that sets `req.currentUser` from the JWT in the
 * cookie session (`req.session.jwt`), checked as HS256 with `jwtKey`. A missing,
 * invalid or expired token leaves the user anonymous; it never fails the
 * request, so put {@link requireAuth} after it on routes that need a user.
 * Mount it after `cookie-session`.
 *
 * @param jwtKey - the secret the auth service signs with, from the validated config
 * @returns the middleware; it always calls `next()`
 * @throws TypeError when `jwtKey` is empty, so a bad config fails at start-up rather than per request
 */
export function createCurrentUser(jwtKey: string): RequestHandler {
  if (!jwtKey) {
    throw new TypeError('createCurrentUser: jwtKey must be a non-empty string');
  }
  return (req, _res, next) => {
    const user = readUser(req, jwtKey);
    if (user) {
      req.currentUser = user;
    }
    next();
  };
}

let warnedNoKey = false;

/**
 * The course's `currentUser`: {@link createCurrentUser} with the key read from
 * `process.env.JWT_KEY` on every request. Prefer `createCurrentUser(config.jwtKey)`.
 * When `JWT_KEY` is unset every user is anonymous, and a warning is written once.
 */
export const currentUser: RequestHandler = (req, _res, next) => {
  // Read at request time, not import time, because course services set
  // JWT_KEY in their test setup after importing common.
  const jwtKey = process.env.JWT_KEY;
  if (!jwtKey) {
    if (!warnedNoKey) {
      warnedNoKey = true;
      // No logger is injected into this course-compatible middleware, hence console.
      console.warn('currentUser: JWT_KEY is not set; every request is treated as anonymous');
    }
  } else {
    const user = readUser(req, jwtKey);
    if (user) {
      req.currentUser = user;
    }
  }
  next();
};
