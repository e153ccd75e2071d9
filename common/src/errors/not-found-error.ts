import { CustomError, type CustomErrorOptions, type SerializedError } from './custom-error';

/** The route or the resource does not exist, or the user may not know that it does. Answered 404. */
export class NotFoundError extends CustomError {
  /** @defaultValue `404` */
  statusCode = 404;

  /**
   * @param message - shown to the client as is; `'Not Found'` when omitted
   * @param options - `cause`, the error that led to this one
   */
  constructor(message = 'Not Found', options?: CustomErrorOptions) {
    super(message, options);
  }

  /** @returns the message, as the only error */
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}
