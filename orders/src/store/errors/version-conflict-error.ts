/**
 * A save was based on a version that is no longer the stored one: someone else
 * saved first, or the record is gone. Operational: load again and retry, or
 * let the message be redelivered.
 */
export class VersionConflictError extends Error {
  readonly isOperational = true;

  /**
   * @param entity - `ticket` or `order`
   * @param id - the record's id
   * @param expected - the version the caller loaded
   * @param options - `cause`, such as mongoose's VersionError
   */
  constructor(
    readonly entity: 'ticket' | 'order',
    readonly id: string,
    readonly expected: number,
    options?: { cause?: unknown },
  ) {
    super(`${entity} ${id} is no longer at version ${expected}`, options);
    this.name = 'VersionConflictError';
  }
}
