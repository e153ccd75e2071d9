import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { CustomError } from '../errors/custom-error';
import { requestIdOf } from './request-logger';

/**
 * An error that says it is the client's fault: a 4xx `status` (or
 * `statusCode`), as http-errors makes them. body-parser (and so
 * `express.json()`) raises such errors for a malformed or oversized body, an
 * unsupported charset or encoding; express 5's router raises a URIError with
 * status 400 for a path with a bad percent escape.
 */
interface ClientError {
  status: number;
  message: string;
  /** http-errors: whether `message` is meant for the client. False marks an error that only looks like a 4xx. */
  expose?: boolean;
  /** body-parser: what went wrong, such as `entity.parse.failed`. */
  type?: string;
}

/** What the client is told for the body-parser failures whose own messages say too little or too much. */
const BODY_MESSAGES: Record<string, string> = {
  // The parser's message quotes the body back, position included.
  'entity.parse.failed': 'Malformed JSON body',
  'entity.too.large': 'Request body is too large',
};

/**
 * @param err - anything thrown
 * @returns it as a client error, or undefined when it is not one
 */
function asClientError(err: unknown): ClientError | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { status?: unknown; statusCode?: unknown; expose?: unknown; message?: unknown; type?: unknown };
  const status = typeof e.status === 'number' ? e.status : e.statusCode;
  if (typeof status !== 'number' || status < 400 || status > 499 || e.expose === false) return undefined;
  return {
    status,
    message: typeof e.message === 'string' ? e.message : '',
    expose: typeof e.expose === 'boolean' ? e.expose : undefined,
    type: typeof e.type === 'string' ? e.type : undefined,
  };
}

/**
 * The message that names what is wrong: a fixed one for the cases above, the
 * error's own when http-errors marked it `expose`, else the status's name.
 */
function clientMessage(err: unknown, clientError: ClientError): string {
  if (clientError.type && BODY_MESSAGES[clientError.type]) return BODY_MESSAGES[clientError.type];
  // express 5 (router's decodeParam): "Failed to decode param '…'", without `expose`.
  if (err instanceof URIError) return 'Malformed URL: a path segment has an invalid percent escape';
  if (clientError.expose && clientError.message) {
    return clientError.message.charAt(0).toUpperCase() + clientError.message.slice(1);
  }
  return STATUS_CODES[clientError.status] ?? 'Bad Request';
}

/** What an error's log line names of its request; `reqId` ties it to the request's own line (see createRequestLogger). */
function requestOf(req: Request): { method: string; url: string; reqId?: string } {
  const reqId = requestIdOf(req);
  return { method: req.method, url: req.originalUrl, ...(reqId ? { reqId } : {}) };
}

function log(logger: Logger | undefined, level: 'warn' | 'error', err: unknown, req: Request, msg: string): void {
  const context = requestOf(req);
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
 * - any other error with a 4xx `status` or `statusCode` whose `expose` is not
 *   `false` (http-errors' convention) as the client's fault, with that status
 *   and a message naming what is wrong, logged at info level: a malformed JSON
 *   body (400), a body over the size limit (413), an unsupported charset or
 *   content encoding (415), a path with an invalid percent escape (400);
 * - anything else with 500 and a generic message, after logging it with its
 *   stack at error level. The client never sees a stack trace or an internal message.
 *
 * If the response has already started it hands the error to express's default
 * handler, which closes the connection.
 *
 * @param logger - where errors go; the console when omitted
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
    const clientError = asClientError(err);
    if (clientError) {
      const message = clientMessage(err, clientError);
      // The client's mistake, not the service's: visible when looking, never an alert.
      // Without a logger it is not written at all: the console has no levels to filter on.
      if (logger) logger.info({ status: clientError.status, reason: message, ...requestOf(req) }, 'client error');
      res.status(clientError.status).send({ errors: [{ message }] });
      return;
    }
    log(logger, 'error', err, req, 'unhandled error in request');
    res.status(500).send({ errors: [{ message: 'Something went wrong' }] });
  };
}

/** The course's `errorHandler`: {@link createErrorHandler} without a logger, so it logs to the console. */
export const errorHandler: ErrorRequestHandler = createErrorHandler();
