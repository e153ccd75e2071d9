export { createCurrentUser, currentUser, type CurrentUserOptions, type UserPayload } from './current-user';
export { requireAuth } from './require-auth';
export { validateRequest } from './validate-request';
export { createErrorHandler, errorHandler } from './error-handler';
export {
  createRequestLogger,
  requestIdOf,
  QUIET_PATHS,
  REQUEST_ID_HEADER,
  type RequestLoggerOptions,
} from './request-logger';
