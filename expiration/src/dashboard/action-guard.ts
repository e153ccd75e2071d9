import { Router, type RequestHandler, type Response } from 'express';
import type { Queue } from 'bull';

/**
 * Why each action the dashboard's API offers is refused, in the words the
 * operator sees under the "Forbidden" headline. Every change the board can
 * make is refused except retrying failed jobs; the allowed ones are listed in
 * {@link guardUnsafeActions}.
 */
export const REFUSALS = {
  clean:
    'Removing jobs is disabled: a removed delayed job means its order does not expire on time (only the orders ' +
    'service’s sweeper cancels it, after a grace period), a removed failed job is an expiration never published, ' +
    'and a removed completed job no longer stops a late duplicate order:created from scheduling a second expiration.',
  promote:
    'Promoting is disabled: it fires expiration:complete before the order’s expiresAt and cancels an order ' +
    'whose reservation is still running.',
  retryCompleted: 'Only failed jobs can be retried: a completed job already published its expiration:complete.',
  other:
    'This dashboard only shows the queue and retries failed jobs. Pausing, emptying, adding or editing jobs ' +
    'would break the expiration service’s guarantees.',
} as const;

/**
 * Answers 403 in the shape of bull-board's own errors (`{error: {key}, message}`),
 * so its UI shows the reason.
 */
function refuse(res: Response, message: string): void {
  res.status(403).json({ error: { key: 'ERRORS.FORBIDDEN' }, message });
}

/**
 * Sits in front of bull-board's router and lets through only what keeps the
 * service's guarantees: every read, and retrying a failed job (one, or all
 * of a queue's), which puts back an expiration that was never published, as
 * the service's own failed-job sweep does. Everything else that writes is
 * answered 403 before bull-board sees it: an allowlist, so an action a later
 * bull-board adds is refused until it is judged safe.
 *
 * Bull itself only retries a job that is in the failed set (`reprocessJob`
 * with state `failed`, one Lua script), so the check of the state here is
 * for a clear answer; it cannot let a completed job through in a race.
 *
 * The only write allowed is a PUT, which a browser sends to another site only
 * after a CORS preflight that this server never approves, so a page elsewhere
 * cannot make an operator's logged-in browser retry jobs.
 *
 * @param queue - the queue the board shows
 * @returns the middleware
 */
export function guardUnsafeActions(queue: Queue): RequestHandler {
  const router = Router();
  const pass: RequestHandler = (_req, _res, next) => next('router');
  // next('router') leaves this router: bull-board's, mounted after it, serves the request.
  router.use((req, _res, next) => next(req.method === 'GET' || req.method === 'HEAD' ? 'router' : undefined));
  router.put('/api/queues/:queueName/retry/failed', pass);
  router.put('/api/queues/:queueName/retry/:status', (_req, res) => refuse(res, REFUSALS.retryCompleted));
  router.put('/api/queues/:queueName/:jobId/retry', async (req, res, next) => {
    // Another queue name or an unknown job: bull-board answers 404.
    if (req.params.queueName !== queue.name) return next('router');
    const job = await queue.getJob(req.params.jobId);
    if (!job) return next('router');
    if ((await job.getState()) === 'failed') return next('router');
    refuse(res, REFUSALS.retryCompleted);
  });
  router.put(['/api/queues/:queueName/promote', '/api/queues/:queueName/:jobId/promote'], (_req, res) =>
    refuse(res, REFUSALS.promote),
  );
  router.put(
    ['/api/queues/:queueName/clean/:status', '/api/queues/:queueName/:jobId/clean', '/api/queues/:queueName/empty'],
    (_req, res) => refuse(res, REFUSALS.clean),
  );
  router.use((_req, res) => refuse(res, REFUSALS.other));
  return router;
}
