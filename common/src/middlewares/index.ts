export { createCurrentUser, currentUser, type CurrentUserOptions, type UserPayload } from './current-user';
export { requireAuth } from './require-auth';
export { validateRequest } from './validate-request';
export { createErrorHandler, errorHandler } from './error-handler';
