import { createBullBoard } from '@bull-board/api';
import { BullAdapter } from '@bull-board/api/bullAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bull';
import { Router, type Express } from 'express';
import type { Logger } from '@grider-ms-tickets/common';
import { dueAtOf } from '../queues/expiration-job';
import { guardUnsafeActions } from './action-guard';
import { basicAuth } from './basic-auth';
import type { DashboardCredentials } from './credentials';

/** Where the dashboard is served, on the HTTP port of `/healthz` and `/metrics`. */
export const DASHBOARD_PATH = '/admin/queues';

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The Bull queue `order:expiration`. */
  queue: Queue;
  /** The one login it accepts. */
  credentials: DashboardCredentials;
  logger: Logger;
}

/** The fields of a job that its name in the list is made of. */
interface ListedJob {
  data?: { orderId?: unknown };
  timestamp: number;
  opts: { delay?: number };
}

/**
 * The name a job is listed under: its order and when that order expires, so
 * the list answers "which orders are waiting, and until when" at a glance.
 * (Bull names every job `__default__`, which says nothing.)
 *
 * @param job - a job as bull-board reads it
 * @returns such as `order 65ab… expires 2026-11-01T12:15:00.000Z`
 */
export function listedJobName(job: ListedJob): string {
  const orderId = typeof job.data?.orderId === 'string' ? job.data.orderId : '(no order id)';
  return `order ${orderId} expires ${new Date(dueAtOf(job)).toISOString()}`;
}

/**
 * The queue dashboard: bull-board's UI and API for the `order:expiration`
 * queue, behind HTTP Basic auth and a guard that refuses every action that
 * would break the service's guarantees (see `action-guard.ts`). Mount it at
 * {@link DASHBOARD_PATH}.
 *
 * @param options - the queue, the login and the logger
 * @returns the router
 */
export function createDashboard(options: DashboardOptions): Router {
  const serverAdapter = new ExpressAdapter().setBasePath(DASHBOARD_PATH);
  // Not read-only: bull-board's read-only mode also refuses retries, and
  // retrying a failed job is the one action worth having. The guard refuses the rest.
  const adapter = new BullAdapter(options.queue, {
    readOnlyMode: false,
    allowRetries: true,
    description: 'One delayed job per pending order; it publishes expiration:complete when the order expires.',
  });
  adapter.setFormatter('name', listedJobName);
  createBullBoard({
    queues: [adapter],
    serverAdapter,
    options: { uiConfig: { boardTitle: 'expiration', hideDocsLink: true } },
  });

  // bull-board serves from an express app of its own, whose settings are not the service's.
  const board = serverAdapter.getRouter() as Express;
  board.disable('x-powered-by');

  const router = Router();
  router.use(
    basicAuth({ credentials: options.credentials, logger: options.logger }),
    guardUnsafeActions(options.queue),
    board,
  );
  return router;
}
