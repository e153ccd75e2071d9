/** A wait that ran out of time or was aborted. Its message says what was awaited. */
export class WaitTimeoutError extends Error {
  readonly isOperational = true;

  constructor(message: string) {
    super(message);
    this.name = 'WaitTimeoutError';
  }
}
