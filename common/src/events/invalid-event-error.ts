/**
 * Thrown by a publisher asked to send a payload that breaks its subject's schema.
 * It is a bug in the caller, not an operational error: retrying can't fix it.
 */
export class InvalidEventError extends Error {
  readonly isOperational = false;

  /**
   * @param subject - the subject of the event
   * @param reason - every bad field, as {@link formatIssues} writes them
   */
  constructor(
    readonly subject: string,
    readonly reason: string,
  ) {
    super(`invalid ${subject} event: ${reason}`);
    this.name = 'InvalidEventError';
  }
}
