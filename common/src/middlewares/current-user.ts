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

/** Options of {@link createCurrentUser}. */
export interface CurrentUserOptions {
  /**
   * Refuses a token issued longer ago than this, judged by its `iat` claim,
   * and a token without `iat`. The course's auth service signs tokens with
   * `iat` but without `exp`, so without this a session never ends.
   *
   * @defaultValue undefined: a token is accepted whatever its age (only its `exp`, if any, is checked)
   */
  maxAgeSeconds?: number;
}

/**
 * Reads the user out of the session's JWT.
 *
 * @returns the user, or undefined when there is no token or it is invalid, expired, too old or of the wrong shape
 */
function readUser(req: Request, jwtKey: string, maxAgeSeconds?: number): UserPayload | undefined {
  const token: unknown = req.session?.jwt;
  if (typeof token !== 'string' || token === '') {
    return undefined;
  }
  let payload: unknown;
  try {
    // With maxAge, jsonwebtoken refuses a token older than that by its iat,
    // and one without iat ("iat required when maxAge is specified").
    payload = verify(token, jwtKey, { algorithms: ['HS256'], maxAge: maxAgeSeconds });
  } catch (err) {
    // A bad, expired or too old token is the client's problem: the user is anonymous.
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
 * invalid, expired or (with `maxAgeSeconds`) too old token leaves the user
 * anonymous; it never fails the request, so put {@link requireAuth} after it
 * on routes that need a user. Mount it after `cookie-session`.
 *
 * @param jwtKey - the secret the auth service signs with, from the validated config, used as given
 * @param options - `maxAgeSeconds`, the oldest token accepted
 * @returns the middleware; it always calls `next()`
 * @throws TypeError when `jwtKey` is empty or `maxAgeSeconds` is not a positive number, so a bad
 *   config fails at start-up rather than per request
 */
export function createCurrentUser(jwtKey: string, options: CurrentUserOptions = {}): RequestHandler {
  if (!jwtKey) {
    throw new TypeError('createCurrentUser: jwtKey must be a non-empty string');
  }
  const { maxAgeSeconds } = options;
  if (maxAgeSeconds !== undefined && !(Number.isFinite(maxAgeSeconds) && maxAgeSeconds > 0)) {
    throw new TypeError(`createCurrentUser: maxAgeSeconds must be a positive number, not ${String(maxAgeSeconds)}`);
  }
  return (req, _res, next) => {
    const user = readUser(req, jwtKey, maxAgeSeconds);
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
