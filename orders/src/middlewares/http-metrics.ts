import type { Request, RequestHandler } from 'express';
import type { Histogram } from 'prom-client';
import { UNMATCHED_ROUTE } from '../metrics';

/** The status recorded for a request whose client closed the connection before the response was sent (nginx's code). */
export const CLIENT_CLOSED_STATUS = '499';

/**
 * Times every request that reaches it in `http_request_duration_seconds`,
 * labelled by method, route pattern and status code. Mount it after the
 * probes and `/metrics`, which are then not counted, and before the routes.
 *
 * The route is read when the response ends: express sets `req.route` when a
 * route's path and method match, even if the route then fails (401, 400).
 * A request that reached no route (an unknown path, a body refused before
 * routing) is `unmatched`, so no raw path ever becomes a label.
 *
 * @param histogram - `OrdersMetrics.httpRequestDuration`
 * @returns the middleware
 */
export function createHttpMetrics(histogram: Histogram<'method' | 'route' | 'status_code'>): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let observed = false;
    const observe = (): void => {
      if (observed) return;
      observed = true;
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const status = res.writableFinished ? String(res.statusCode) : CLIENT_CLOSED_STATUS;
      histogram.observe({ method: req.method, route: routeOf(req), status_code: status }, seconds);
    };
    // 'finish' once the response is sent; 'close' alone when the client left first.
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };
}

/**
 * @param req - a request whose response has ended
 * @returns the pattern of the route it matched, such as `/api/orders/:orderId`, or `unmatched`
 */
function routeOf(req: Request): string {
  const path: unknown = req.route?.path;
  if (path === undefined) return UNMATCHED_ROUTE;
  return `${req.baseUrl}${String(path)}`;
}
