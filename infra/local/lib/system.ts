import type { LevelWithSilent } from 'pino';
import { readyz } from './preflight';
import type { ServiceName } from './paths';
import { ServiceProcess, type ProcessExit } from './service-process';
import { SystemStartError } from './system-start-error';

/** Everything the two services need to run against local servers. */
export interface SystemOptions {
  redis: { host: string; port: number; password?: string };
  nats: { url: string; stream: string; subjectPrefix?: string };
  /** Bull's key prefix. */
  queuePrefix: string;
  jwtKey: string;
  ordersPort: number;
  healthPort: number;
  expirationWindowSeconds: number;
  store: { kind: 'mongo'; uri: string } | { kind: 'memory' };
  logLevel: LevelWithSilent;
  /** Restart a service when its sources change (`npm run dev`). */
  watch: boolean;
  /** Each line a service writes. */
  onLine: (service: ServiceName, line: string, stream: 'stdout' | 'stderr') => void;
  /**
   * How long both may take to answer /readyz with 200.
   *
   * @defaultValue 90000 (tsx compiles on the fly, and this machine may be busy);
   * no limit with `watch`, where a service that fails to start waits for a fix
   */
  readyTimeoutMs?: number;
  /** More variables for both, such as EXPIRATION_RETENTION_SECONDS in tests. */
  extraEnv?: Record<string, string>;
  /** The environment the children inherit (PATH and the like); `process.env` unless given. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** The two services, starting or running. */
export interface RunningSystem {
  /**
   * Settles once both answer /readyz with 200. Rejects with a
   * {@link SystemStartError} if one exits or the time runs out first; both are
   * stopped by then.
   */
  readonly ready: Promise<void>;
  /** orders' base URL, such as `http://127.0.0.1:3000`. */
  readonly ordersUrl: string;
  /** expiration's health and metrics base URL. */
  readonly expirationUrl: string;
  readonly services: readonly ServiceProcess[];
  /** Settles when either service exits before {@link RunningSystem.stop} was called. */
  readonly crashed: Promise<{ service: ServiceName; exit: ProcessExit }>;
  /** Stops orders, then expiration. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Builds the environment of each service, from the services' own variables
 * (expiration/src/config.ts, orders/src/config.ts).
 *
 * @param options - the system
 * @returns the env of expiration and of orders
 */
export function serviceEnvs(options: SystemOptions): Record<ServiceName, NodeJS.ProcessEnv> {
  const base: NodeJS.ProcessEnv = { ...(options.baseEnv ?? process.env) };
  // Under jest these would leak in; the services are not under test here.
  delete base.JEST_WORKER_ID;
  delete base.NODE_ENV;
  const shared: Record<string, string | undefined> = {
    NODE_ENV: 'development',
    EVENT_BUS: 'jetstream',
    NATS_URL: options.nats.url,
    NATS_STREAM: options.nats.stream,
    NATS_SUBJECT_PREFIX: options.nats.subjectPrefix,
    LOG_LEVEL: options.logLevel,
    ...options.extraEnv,
  };
  const expiration: Record<string, string | undefined> = {
    REDIS_HOST: options.redis.host,
    REDIS_PORT: String(options.redis.port),
    REDIS_PASSWORD: options.redis.password,
    QUEUE_PREFIX: options.queuePrefix,
    HEALTH_PORT: String(options.healthPort),
  };
  const orders: Record<string, string | undefined> = {
    JWT_KEY: options.jwtKey,
    ORDERS_STORE: options.store.kind,
    MONGO_URI: options.store.kind === 'mongo' ? options.store.uri : undefined,
    PORT: String(options.ordersPort),
    EXPIRATION_WINDOW_SECONDS: String(options.expirationWindowSeconds),
  };
  const build = (own: Record<string, string | undefined>): NodeJS.ProcessEnv => {
    const env = { ...base };
    for (const [key, value] of Object.entries({ ...shared, ...own })) {
      // Unset means unset, even if the launcher's own environment has it.
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    return env;
  };
  return { expiration: build(expiration), orders: build(orders) };
}

/**
 * Starts expiration and orders. The result is returned at once, so that a
 * Ctrl-C during start-up can stop them; await its `ready`.
 *
 * @param options - servers, ports, store, logs
 * @returns the system
 */
export function launchSystem(options: SystemOptions): RunningSystem {
  const envs = serviceEnvs(options);
  const make = (name: ServiceName) =>
    new ServiceProcess({
      name,
      env: envs[name],
      watch: options.watch,
      onLine: (line, stream) => options.onLine(name, line, stream),
    });
  const expiration = make('expiration');
  const orders = make('orders');
  const services = [expiration, orders] as const;
  let stopped = false;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped = true;
    // orders first: it publishes order:cancelled while expiration:complete is
    // handled, and expiration's shutdown waits for its active jobs.
    stopping ??= orders.stop().then(() => expiration.stop());
    return stopping;
  };
  const crashed = new Promise<{ service: ServiceName; exit: ProcessExit }>((resolve) => {
    for (const service of services) {
      void service.exited.then((exit) => {
        if (!stopped) resolve({ service: service.name, exit });
      });
    }
  });

  const ordersUrl = `http://127.0.0.1:${options.ordersPort}`;
  const expirationUrl = `http://127.0.0.1:${options.healthPort}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? (options.watch ? Infinity : 90_000));
  const ready = Promise.all([
    waitReady(expiration, expirationUrl, deadline),
    waitReady(orders, ordersUrl, deadline),
  ]).then(
    () => undefined,
    async (err: unknown) => {
      await stop();
      throw err;
    },
  );
  // A caller that stops before awaiting `ready` must not get an unhandled rejection.
  ready.catch(() => undefined);
  return { ready, ordersUrl, expirationUrl, services, crashed, stop };
}

async function waitReady(service: ServiceProcess, baseUrl: string, deadline: number): Promise<void> {
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (service.stopRequested)
      throw new SystemStartError(`${service.name} was stopped during start-up`, service.name, []);
    if (!service.running) {
      const exit = await service.exited;
      throw new SystemStartError(
        `${service.name} exited during start-up (${exit.signal ?? `code ${exit.code}`})`,
        service.name,
        service.lastLines(),
      );
    }
    const answer = await readyz(baseUrl, 2_000);
    if (answer.kind === 'ours' && answer.ready) return;
    if (answer.kind === 'ours') last = `not ready: ${JSON.stringify(answer.checks)}`;
    else if (answer.kind === 'other') last = `something else answers on ${baseUrl}`;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new SystemStartError(`${service.name} was not ready in time (${last})`, service.name, service.lastLines());
}
