import type { RequestHandler } from 'express';
import { validationResult } from 'express-validator';
import { RequestValidationError } from '../errors/request-validation-error';

/**
 * Rejects the request with a {@link RequestValidationError} (400) if any of
 * the express-validator chains mounted before it failed.
 *
 * @throws RequestValidationError with every failed check
 */
export const validateRequest: RequestHandler = (req, _res, next) => {
  const errors = validationResult(req);
  if (!errors.isEmpty()) {
    throw new RequestValidationError(errors.array());
  }
  next();
};
