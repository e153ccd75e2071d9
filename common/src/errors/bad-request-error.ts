import { CustomError, type CustomErrorOptions, type SerializedError } from './custom-error';

/** The request is wrong in a way the client can fix, such as a ticket that is already reserved. Answered 400. */
export class BadRequestError extends CustomError {
  /** @defaultValue `400` */
  statusCode = 400;

  /**
   * @param message - shown to the client as is
   * @param options - `cause`, the error that led to this one
   */
  constructor(message: string, options?: CustomErrorOptions) {
    super(message, options);
  }

  /** @returns the message, as the only error */
  serializeErrors(): SerializedError[] {
    return [{ message: this.message }];
  }
}
