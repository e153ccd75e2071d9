import { CustomError, type CustomErrorOptions, type SerializedError } from './custom-error';

/** The request needs a signed-in user and has none, or the user does not own the resource. Answered 401. */
export class NotAuthorizedError extends CustomError {
  /** @defaultValue `401` */
  statusCode = 401;

  /** @param options - `cause`, the error that led to this one */
  constructor(options?: CustomErrorOptions) {
    super('Not authorized', options);
  }

  /** @returns `[{ message: 'Not authorized' }]` */
  serializeErrors(): SerializedError[] {
    return [{ message: 'Not authorized' }];
  }
}
