import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { CustomError } from '../errors/custom-error';

/** The shape of the errors body-parser (and so `express.json()`) raises. */
interface BodyParserError {
  type: string;
}

function isBodyParserError(err: unknown): err is BodyParserError {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string';
}

function log(logger: Logger | undefined, level: 'warn' | 'error', err: unknown, req: Request, msg: string): void {
  const context = { method: req.method, url: req.originalUrl };
  if (logger) {
    // pino's `err` serializer writes type, message and stack.
    logger[level]({ err, ...context }, msg);
  } else {
    console[level](msg, context, err);
  }
}

/**
 * Makes the one error middleware of a service; mount it last. It answers:
 *
 * - a {@link CustomError} with its `statusCode` and `{ errors: err.serializeErrors() }`
 *   (a 5xx one, such as a database that is down, is also logged at warn level);
 * - a malformed JSON body with 400, and a body over the size limit with 413;
 * - anything else with 500 and a generic message, after logging it with its
 *   stack. The client never sees a stack trace or an internal message.
 *
 * If the response has already started it hands the error to express's default
 * handler, which closes the connection.
 *
 * @param logger - where unexpected errors go; `console.error` when omitted
 * @returns the error middleware
 */
export function createErrorHandler(logger?: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      next(err);
      return;
    }
    if (err instanceof CustomError) {
      if (err.statusCode >= 500) {
        // A peer that is down: not a bug, but the operator needs to know.
        log(logger, 'warn', err, req, err.message);
      }
      res.status(err.statusCode).send({ errors: err.serializeErrors() });
      return;
    }
    if (isBodyParserError(err) && err.type === 'entity.parse.failed') {
      res.status(400).send({ errors: [{ message: 'Malformed JSON body' }] });
      return;
    }
    if (isBodyParserError(err) && err.type === 'entity.too.large') {
      res.status(413).send({ errors: [{ message: 'Request body is too large' }] });
      return;
    }
    log(logger, 'error', err, req, 'unhandled error in request');
    res.status(500).send({ errors: [{ message: 'Something went wrong' }] });
  };
}

/** The course's `errorHandler`: {@link createErrorHandler} without a logger, so it logs to the console. */
export const errorHandler: ErrorRequestHandler = createErrorHandler();
