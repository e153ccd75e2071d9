import { Router } from 'express';

/** A readiness check: resolves true when its dependency answers. */
export type HealthCheck = () => boolean | Promise<boolean>;

/** Options of {@link createHealthRouter}. */
export interface HealthRouterOptions {
  /** The checks of `/readyz`, by name, such as `{ redis, nats }`. */
  checks: Record<string, HealthCheck>;
  /**
   * A check that has not answered by then counts as failed.
   *
   * @defaultValue 2000
   */
  timeoutMs?: number;
}

/**
 * `GET /healthz` answers 200 while the process runs (the liveness probe).
 * `GET /readyz` runs every check and answers 200 when all pass, 503 otherwise,
 * with each check's result (the readiness probe).
 *
 * @param options - the checks
 * @returns an express router
 */
export function createHealthRouter(options: HealthRouterOptions): Router {
  const { checks, timeoutMs = 2_000 } = options;
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const names = Object.keys(checks);
    const results = await Promise.all(names.map((name) => runCheck(checks[name], timeoutMs)));
    const detail = Object.fromEntries(names.map((name, i) => [name, results[i] ? 'ok' : 'failing']));
    const ready = results.every(Boolean);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not ready', checks: detail });
  });
  return router;
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
