import { Router } from 'express';

/** A health check: resolves true when what it checks is fine. */
export type HealthCheck = () => boolean | Promise<boolean>;

/** Options of {@link createHealthRouter}. */
export interface HealthRouterOptions {
  /** The checks of `/readyz`, by name, such as `{ redis, nats }`. */
  checks: Record<string, HealthCheck>;
  /**
   * The checks of `/healthz`, by name, such as `{ nats: busLiveness(bus, 60_000) }`.
   * Keep them for what only a restart fixes: Kubernetes restarts a pod whose
   * liveness probe fails.
   *
   * @defaultValue none: `/healthz` answers 200 while the process runs
   */
  liveness?: Record<string, HealthCheck>;
  /**
   * A check that has not answered by then counts as failed.
   *
   * @defaultValue 2000
   */
  timeoutMs?: number;
}

/**
 * `GET /healthz` is the liveness probe: 200 while the process runs and every
 * `liveness` check passes, 503 otherwise, with each check's result.
 * `GET /readyz` is the readiness probe: it runs every check and answers 200
 * when all pass, 503 otherwise, with each check's result.
 *
 * @param options - the checks
 * @returns an express router
 */
export function createHealthRouter(options: HealthRouterOptions): Router {
  const { checks, liveness, timeoutMs = 2_000 } = options;
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    if (!liveness) {
      res.json({ status: 'ok' });
      return;
    }
    const { ok, detail } = await runChecks(liveness, timeoutMs);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'failing', checks: detail });
  });
  router.get('/readyz', async (_req, res) => {
    const { ok, detail } = await runChecks(checks, timeoutMs);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready', checks: detail });
  });
  return router;
}

async function runChecks(checks: Record<string, HealthCheck>, timeoutMs: number) {
  const names = Object.keys(checks);
  const results = await Promise.all(names.map((name) => runCheck(checks[name], timeoutMs)));
  const detail = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'ok' : 'failing']));
  return { ok: results.every(Boolean), detail };
}

async function runCheck(check: HealthCheck, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([Promise.resolve().then(check), timeout]);
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}
