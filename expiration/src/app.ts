import express, { type Express } from 'express';
import { createErrorHandler, createHealthRouter, type HealthCheck, type Logger } from '@grider-ms-tickets/common';
import type { Registry } from 'prom-client';
import { createDashboard, DASHBOARD_PATH, type DashboardOptions } from './dashboard/dashboard';

/** Options of {@link createApp}. */
export interface AppOptions {
  /** The readiness checks, such as `{ redis, nats }`. */
  checks: Record<string, HealthCheck>;
  /**
   * The liveness checks of `/healthz`, such as `{ nats: busLiveness(bus, graceMs) }`:
   * only what a restart fixes.
   *
   * @defaultValue none: `/healthz` answers 200 while the process runs
   */
  liveness?: Record<string, HealthCheck>;
  /** The registry `/metrics` serves. */
  registry: Registry;
  logger: Logger;
  /**
   * The queue and the login of the dashboard at `/admin/queues`.
   *
   * @defaultValue none: `/admin/queues` answers 404
   */
  dashboard?: Omit<DashboardOptions, 'logger'>;
}

/**
 * The HTTP face of the service: `/healthz` (alive, and the bus not down past
 * its grace), `/readyz` (Redis and NATS answer), `/metrics` (Prometheus) and,
 * when it has a login, the queue dashboard at `/admin/queues`.
 * It has no `listen` call, so tests can drive it with supertest.
 *
 * @param options - checks, metrics registry and logger
 * @returns the express app
 */
export function createApp(options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(createHealthRouter({ checks: options.checks, liveness: options.liveness }));
  app.get('/metrics', async (_req, res) => {
    res.set('Content-Type', options.registry.contentType);
    res.send(await options.registry.metrics());
  });
  if (options.dashboard) {
    const logger = options.logger.child({ component: 'dashboard' });
    app.use(DASHBOARD_PATH, createDashboard({ ...options.dashboard, logger }));
  }
  app.use(createErrorHandler(options.logger));
  return app;
}
