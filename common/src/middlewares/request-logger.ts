import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { LevelWithSilent, Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { isCorrelationId } from '../events/correlation';

/** The header that carries a request's id, in both directions. */
export const REQUEST_ID_HEADER = 'x-request-id';

/** The paths a request logger writes at debug level only: the probes and the Prometheus scrape. */
export const QUIET_PATHS: readonly string[] = ['/healthz', '/readyz', '/metrics'];

/** Options of {@link createRequestLogger}. */
export interface RequestLoggerOptions {
  /**
   * Paths whose requests are logged at debug level rather than info, whatever
   * their status: the kubelet and Prometheus call them every few seconds.
   *
   * @defaultValue {@link QUIET_PATHS}
   */
  quietPaths?: readonly string[];
}

/** A request as pino-http leaves it: with the id it was given. */
type WithId = IncomingMessage & { id?: unknown };

/**
 * Makes the request-logging middleware of a service (pino-http); mount it
 * first. Every request gets an id: the incoming `x-request-id` when it is a
 * sane value (1 to 128 visible ASCII characters, as {@link isCorrelationId}
 * accepts), or else a new UUID. The id is sent back in the `x-request-id`
 * response header, read with {@link requestIdOf}, and written as `reqId` on
 * the one line logged per request when its response is finished or aborted:
 *
 * `{"reqId":"…","req":{"id","method","url","remoteAddress"},"res":{"statusCode"},"responseTime":12,"msg":"request completed"}`
 *
 * The line is at info level, at warn for a 5xx (the error handler logs the
 * error itself), and at debug for {@link RequestLoggerOptions.quietPaths}.
 * Only those fields of the request and response are written: no headers, so
 * no cookie, `Authorization` or `Set-Cookie` value ever reaches the logs.
 * `remoteAddress` is express's `req.ip`, which follows the app's `trust proxy`.
 *
 * @param logger - the service's logger
 * @param options - the quiet paths
 * @returns the middleware
 */
export function createRequestLogger(logger: Logger, options: RequestLoggerOptions = {}): RequestHandler {
  const quietPaths = new Set(options.quietPaths ?? QUIET_PATHS);
  const httpLogger = pinoHttp({
    logger,
    quietReqLogger: true,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const incoming = req.headers[REQUEST_ID_HEADER];
      // A repeated header arrives joined with ", ", which fails the check too.
      const id = isCorrelationId(incoming) ? incoming : randomUUID();
      res.setHeader(REQUEST_ID_HEADER, id);
      return id;
    },
    customLogLevel: (req: IncomingMessage, res: ServerResponse): LevelWithSilent => {
      if (quietPaths.has(pathOf(req))) return 'debug';
      return res.statusCode >= 500 ? 'warn' : 'info';
    },
    serializers: {
      // Given pino's serialized request, whose `raw` is the request itself.
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string; raw: { ip?: string } }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.raw.ip ?? req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
  return (req, res, next) => httpLogger(req, res, next);
}

/**
 * The id {@link createRequestLogger} gave a request: the caller's sane
 * `x-request-id`, or a new UUID. Use it as the correlation id of the work the
 * request starts (see {@link CORRELATION_ID_HEADER}).
 *
 * @param req - a request that went through the request logger
 * @returns its id, or undefined when the request logger is not mounted
 */
export function requestIdOf(req: IncomingMessage): string | undefined {
  const id = (req as WithId).id;
  return isCorrelationId(id) ? id : undefined;
}

function pathOf(req: IncomingMessage): string {
  const url = req.url ?? '';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}
