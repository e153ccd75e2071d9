import { CustomError, type CustomErrorOptions, type SerializedError } from './custom-error';

const PUBLIC_MESSAGE = 'Error connecting to database';

/**
 * The database could not be reached. Answered 503 Service Unavailable, because
 * a peer that is down is a temporary condition the client may retry, not a bug
 * in this service. (The course's published 1.0.14 answered 500.)
 */
export class DatabaseConnectionError extends CustomError {
  /** @defaultValue `503` */
  statusCode = 503;

  /**
   * What went wrong, for the logs; the client always gets the generic message.
   *
   * @defaultValue `'Error connecting to database'`
   */
  readonly reason: string;

  /**
   * @param reason - the internal detail, such as the host that refused; never
   *   sent to the client. `'Error connecting to database'` when omitted.
   * @param options - `cause`, typically the driver's error
   */
  constructor(reason: string = PUBLIC_MESSAGE, options?: CustomErrorOptions) {
    super(reason, options);
    this.reason = reason;
  }

  /** @returns `[{ message: 'Error connecting to database' }]`, whatever the reason */
  serializeErrors(): SerializedError[] {
    return [{ message: PUBLIC_MESSAGE }];
  }
}
