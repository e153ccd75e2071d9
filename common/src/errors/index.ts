export { CustomError, type CustomErrorOptions, type SerializedError } from './custom-error';
export { BadRequestError } from './bad-request-error';
export { NotFoundError } from './not-found-error';
export { NotAuthorizedError } from './not-authorized-error';
export { RequestValidationError } from './request-validation-error';
export { DatabaseConnectionError } from './database-connection-error';
