import type { ValidationError } from 'express-validator';
import { CustomError, type SerializedError } from './custom-error';

/** The request failed express-validator's checks. Answered 400 with one entry per failed check. */
export class RequestValidationError extends CustomError {
  /** @defaultValue `400` */
  statusCode = 400;

  /** @param errors - what `validationResult(req).array()` returned */
  constructor(readonly errors: ValidationError[]) {
    super('Invalid request parameters');
  }

  /**
   * @returns one entry per error; field errors carry their `path` as `field`,
   * the other kinds (unknown fields, `oneOf` alternatives) have no single field
   */
  serializeErrors(): SerializedError[] {
    return this.errors.map((err) =>
      err.type === 'field' ? { message: String(err.msg), field: err.path } : { message: String(err.msg) },
    );
  }
}
