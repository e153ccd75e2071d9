import type { RequestHandler } from 'express';
import { NotAuthorizedError } from '../errors/not-authorized-error';
// For the `req.currentUser` augmentation of Express.Request.
import type {} from './current-user';

/**
 * Rejects the request with a {@link NotAuthorizedError} (401) unless a user is
 * signed in. Mount it after {@link createCurrentUser} or {@link currentUser}.
 *
 * @throws NotAuthorizedError when `req.currentUser` is not set
 */
export const requireAuth: RequestHandler = (req, _res, next) => {
  if (!req.currentUser) {
    throw new NotAuthorizedError();
  }
  next();
};
