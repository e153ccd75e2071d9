import {
  NotFoundError,
  busLiveness,
  createCurrentUser,
  createErrorHandler,
  createHealthRouter,
  createRequestLogger,
} from '@grider-ms-tickets/common';
import cookieSession from 'cookie-session';
import express, { type Express } from 'express';
import { createHttpMetrics } from './middlewares/http-metrics';
import { createDeleteOrderRouter } from './routes/delete';
import { createIndexOrderRouter } from './routes/index';
import { createNewOrderRouter } from './routes/new';
import type { RouteDependencies } from './routes/route-dependencies';
import { createShowOrderRouter } from './routes/show';

/** What {@link createApp} is built with. */
export interface AppOptions extends RouteDependencies {
  /**
   * How long the bus may be down before `/healthz` fails: `config.eventBus.downGraceMs`.
   *
   * @defaultValue 60000
   */
  busDownGraceMs?: number;
}

/**
 * The express app of the orders service, without `listen`: `/healthz`,
 * `/readyz` and `/metrics` (no session needed), then `/api/orders`.
 *
 * Every request is logged in one line with its request id (the caller's
 * `x-request-id` or a new one, echoed back); the probes and `/metrics` at
 * debug level only. Requests past the probes are timed in
 * `http_request_duration_seconds` by route pattern.
 *
 * @param options - the store, the event bus, the config, the logger and the metrics
 * @returns the app
 */
export function createApp(options: AppOptions): Express {
  const { store, bus, config, logger, metrics, busDownGraceMs = 60_000 } = options;
  const app = express();
  // Says nothing about the stack to whoever probes it.
  app.disable('x-powered-by');
  // Behind the ingress, which terminates TLS and sets X-Forwarded-*. A hop
  // count rather than `true`: with `true` any client could claim any address
  // or protocol by sending the headers itself.
  app.set('trust proxy', config.trustProxyHops);
  // First, so that every request has its id, and every answer its x-request-id.
  app.use(createRequestLogger(logger));
  app.use(
    createHealthRouter({
      checks: { store: () => store.isReady(), nats: () => bus.isConnected() },
      // Alive while NATS is down for less than the grace: the client reconnects by itself.
      liveness: { nats: busLiveness(bus, busDownGraceMs) },
    }),
  );
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', metrics.registry.contentType);
    res.send(await metrics.registry.metrics());
  });
  // After the probes and the scrape: the kubelet and Prometheus would drown the API's numbers.
  app.use(createHttpMetrics(metrics.httpRequestDuration));

  app.use(express.json());
  // The session cookie is set by the auth service; this service only reads it.
  // `secure` only governs writing a cookie (cookie-session refuses to send a
  // secure cookie over plain HTTP), and reading works over HTTP as well, so
  // unlike the course it needs no NODE_ENV switch for tests or local runs.
  app.use(cookieSession({ signed: false, secure: true }));
  app.use(createCurrentUser(config.jwtKey, { maxAgeSeconds: config.jwtMaxAgeSeconds }));

  app.use(createNewOrderRouter(options));
  app.use(createIndexOrderRouter(options));
  app.use(createShowOrderRouter(options));
  app.use(createDeleteOrderRouter(options));

  app.use(() => {
    throw new NotFoundError();
  });
  app.use(createErrorHandler(logger));
  return app;
}
