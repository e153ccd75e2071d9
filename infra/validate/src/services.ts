import { loadExpirationConfig } from '../../../expiration/src/config';
import { loadOrdersConfig } from '../../../orders/src/config';
import type { IContainer } from 'kubernetes-models/v1';
import type { Workload } from './manifest';

/** A host and port a service connects to at start-up. */
export interface Dependency {
  /** The variable it comes from, for messages. */
  variable: string;
  host: string;
  port: number;
}

/** What the validator knows of one of our services. */
export interface ServiceSpec {
  name: string;
  /** Its Deployment, as the course names it. */
  deployment: string;
  /** Its container in that Deployment. */
  container: string;
  /** Its Dockerfile, relative to the repository. */
  dockerfile: string;
  /** The service's own config loader: it throws ConfigError naming every bad variable. */
  check(env: NodeJS.ProcessEnv): {
    /** The port of /healthz and /readyz. */
    httpPort: number;
    /** What it connects to, which must be Services of the same manifests. */
    dependencies: Dependency[];
    eventBus: 'stan' | 'jetstream';
    /** SHUTDOWN_TIMEOUT_SECONDS: after it the service exits 1 on its own; the grace period must cover it. */
    shutdownTimeoutSeconds: number;
  };
}

/**
 * @param variable - the variable's name
 * @param url - a URL such as nats://nats-srv:4222 or mongodb://orders-mongo-srv:27017/orders
 * @param defaultPort - when the URL has none
 * @returns its host and port
 */
function urlDependency(variable: string, url: string, defaultPort: number): Dependency {
  const parsed = new URL(url);
  return { variable, host: parsed.hostname, port: parsed.port ? Number(parsed.port) : defaultPort };
}

/**
 * @param value - a comma-separated list, such as `nats://nats-0.nats-cluster:4222,nats://nats-1.nats-cluster:4222`
 * @returns its entries, trimmed, empty ones left out
 */
function listOf(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * @param variable - the variable's name
 * @param entry - `host:port`, or `host`
 * @param defaultPort - when the entry has no port
 * @returns its host and port
 */
function hostPortDependency(variable: string, entry: string, defaultPort: number): Dependency {
  const colon = entry.lastIndexOf(':');
  return colon === -1
    ? { variable, host: entry, port: defaultPort }
    : { variable, host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
}

/**
 * Every NATS server a service may connect to: NATS_URL is one URL or a
 * comma-separated list of them.
 *
 * @param env - an environment the service's config loader has accepted
 * @returns one dependency per server
 */
function natsDependencies(env: NodeJS.ProcessEnv): Dependency[] {
  return listOf(env.NATS_URL).map((url) => urlDependency('NATS_URL', url, 4222));
}

/**
 * The Redis expiration connects to: its Sentinels when REDIS_SENTINELS lists
 * them, REDIS_HOST otherwise. Read from the environment the loader has just
 * accepted, so that the list doesn't hang on the shape of the loader's Redis
 * settings (a host, or Sentinels).
 *
 * @param env - an environment the expiration config loader has accepted
 * @returns one dependency per Sentinel, or the Redis server
 */
function redisDependencies(env: NodeJS.ProcessEnv): Dependency[] {
  const sentinels = listOf(env.REDIS_SENTINELS);
  if (sentinels.length > 0) return sentinels.map((entry) => hostPortDependency('REDIS_SENTINELS', entry, 26379));
  return [{ variable: 'REDIS_HOST', host: env.REDIS_HOST?.trim() ?? '', port: Number(env.REDIS_PORT?.trim() || 6379) }];
}

/** Our services. The others in the manifests (Redis, MongoDB, NATS) are third-party images. */
export const SERVICES: readonly ServiceSpec[] = [
  {
    name: 'expiration',
    deployment: 'expiration-depl',
    container: 'expiration',
    dockerfile: 'expiration/Dockerfile',
    check(env) {
      const config = loadExpirationConfig(env);
      return {
        httpPort: config.healthPort,
        eventBus: config.eventBus.kind,
        shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
        dependencies: [...natsDependencies(env), ...redisDependencies(env)],
      };
    },
  },
  {
    name: 'orders',
    deployment: 'orders-depl',
    container: 'orders',
    dockerfile: 'orders/Dockerfile',
    check(env) {
      const config = loadOrdersConfig(env);
      const dependencies = natsDependencies(env);
      if (config.store.kind === 'mongo') dependencies.push(urlDependency('MONGO_URI', config.store.uri, 27017));
      return {
        httpPort: config.port,
        eventBus: config.eventBus.kind,
        dependencies,
        shutdownTimeoutSeconds: config.shutdownTimeoutSeconds,
      };
    },
  },
];

/**
 * @param workload - a workload
 * @param container - one of its containers
 * @returns the service it runs, if it is one of ours
 */
export function serviceOf(workload: Workload, container: IContainer): ServiceSpec | undefined {
  return SERVICES.find(
    (s) => workload.kind === 'Deployment' && workload.metadata.name === s.deployment && container.name === s.container,
  );
}
