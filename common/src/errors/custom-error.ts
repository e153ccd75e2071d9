/** One error as a client sees it, under `errors` in the response body. */
export interface SerializedError {
  /** What went wrong, safe to show to the user. */
  message: string;
  /** The request field at fault, when there is one. */
  field?: string;
}

/** Options of {@link CustomError}. */
export interface CustomErrorOptions {
  /** The error that caused this one; kept as `cause` for the logs, never sent to the client. */
  cause?: unknown;
}

/**
 * The base of every error that the error handler turns into a response. These
 * are operational errors (bad input, missing auth, a peer that is down), not
 * bugs: the handler answers them with their own status and body, while anything
 * that is not a `CustomError` becomes a logged 500.
 */
export abstract class CustomError extends Error {
  /** The HTTP status of the response. */
  abstract statusCode: number;

  /**
   * Always `true`: a `CustomError` is an expected failure, not a bug.
   *
   * @defaultValue `true`
   */
  readonly isOperational: boolean = true;

  /**
   * @param message - the internal message, for logs; clients see {@link CustomError.serializeErrors} instead
   * @param options - `cause`, the error that led to this one
   */
  constructor(message: string, options?: CustomErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    // Only needed when compiled to ES5, where extending a built-in breaks
    // `instanceof`; harmless on ES2022 and kept so old targets stay safe.
    Object.setPrototypeOf(this, new.target.prototype);
  }

  /**
   * The body the client gets, under `errors`.
   *
   * @returns one entry per problem
   */
  abstract serializeErrors(): SerializedError[];
}
