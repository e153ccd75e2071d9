import { z } from 'zod';
import {
  ConfigError,
  envEnum,
  envInt,
  envLogLevel,
  envOptionalString,
  envPort,
  envString,
  loadConfig,
} from '@grider-ms-tickets/common';
import { envDashboardCredentials } from '../../../expiration/src/dashboard/credentials';
import { fail } from './terminal';

/** The key `npm run dev` and `npm run demo` sign sessions with unless JWT_KEY is set. Never use it anywhere else. */
export const DEV_JWT_KEY = 'dev-only-jwt-key';

/**
 * What `npm run dev` and `npm run demo` read. The names are the services' own
 * (see expiration/src/config.ts and orders/src/config.ts), with local defaults,
 * plus a few knobs of the local tooling.
 */
export const localEnvSchema = z.object({
  EVENT_BUS: envEnum(['jetstream', 'stan'], 'jetstream').refine(
    (bus) => bus === 'jetstream',
    'local runs use NATS JetStream: unset EVENT_BUS or set it to jetstream',
  ),
  NATS_URL: envString({ default: 'nats://127.0.0.1:4222' }).refine(
    (url) => URL.canParse(url) && new URL(url).protocol === 'nats:',
    'must be a URL starting with nats://',
  ),
  NATS_STREAM: envString({ default: 'ticketing' }),
  NATS_SUBJECT_PREFIX: envOptionalString(),
  REDIS_HOST: envString({ default: '127.0.0.1' }),
  REDIS_PORT: envPort(6379),
  REDIS_PASSWORD: envOptionalString(),
  QUEUE_PREFIX: envString({ default: 'bull' }),
  JWT_KEY: envOptionalString(),
  /** orders' HTTP port. */
  PORT: envPort(3000),
  /** expiration's health port. */
  HEALTH_PORT: envPort(8080),
  /** The window of `npm run dev`. */
  EXPIRATION_WINDOW_SECONDS: envInt({ min: 1, default: 15 * 60 }),
  /** The window of the system `npm run demo` starts (not of one already running). */
  DEMO_WINDOW_SECONDS: envInt({ min: 2, max: 3_600, default: 10 }),
  /** Set: orders uses it. Unset: an embedded MongoDB, else the memory store. */
  MONGO_URI: envOptionalString().refine(
    (uri) => uri === undefined || /^mongodb(\+srv)?:\/\//.test(uri),
    'must start with mongodb:// or mongodb+srv://',
  ),
  /** `memory` skips MongoDB altogether; `mongo` (or unset) tries it. */
  ORDERS_STORE: envEnum(['mongo', 'memory']).optional(),
  /** How long the embedded MongoDB may take to start before the memory store is used. */
  MONGO_START_TIMEOUT_MS: envInt({ min: 1_000, default: 15_000 }),
  LOG_LEVEL: envLogLevel(),
  /** expiration's queue dashboard login, `user:password`; it reaches expiration through the environment. */
  DASHBOARD_CREDENTIALS: envDashboardCredentials(),
});

/** The validated settings of the local tooling. */
export type LocalSettings = ReturnType<typeof loadLocalSettings>;

/** Validates the environment once; throws a ConfigError naming every malformed variable. */
export function loadLocalSettings(env: NodeJS.ProcessEnv = process.env) {
  const e = loadConfig(localEnvSchema, env);
  const natsUrl = new URL(e.NATS_URL);
  return {
    redis: { host: e.REDIS_HOST, port: e.REDIS_PORT, password: e.REDIS_PASSWORD },
    nats: {
      url: e.NATS_URL,
      host: natsUrl.hostname || '127.0.0.1',
      port: natsUrl.port ? Number(natsUrl.port) : 4222,
      stream: e.NATS_STREAM,
      subjectPrefix: e.NATS_SUBJECT_PREFIX,
    },
    queuePrefix: e.QUEUE_PREFIX,
    jwtKey: e.JWT_KEY ?? DEV_JWT_KEY,
    jwtKeyIsDevDefault: e.JWT_KEY === undefined,
    ordersPort: e.PORT,
    healthPort: e.HEALTH_PORT,
    devWindowSeconds: e.EXPIRATION_WINDOW_SECONDS,
    demoWindowSeconds: e.DEMO_WINDOW_SECONDS,
    mongoUri: e.MONGO_URI,
    forceMemoryStore: e.ORDERS_STORE === 'memory',
    mongoStartTimeoutMs: e.MONGO_START_TIMEOUT_MS,
    logLevel: e.LOG_LEVEL,
    dashboardUser: e.DASHBOARD_CREDENTIALS?.user,
  };
}

/** {@link loadLocalSettings}, or every bad variable named and exit 1. */
export function settingsOrExit(command: string): LocalSettings {
  try {
    return loadLocalSettings();
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    fail(`npm run ${command}: ${err.message}`);
    process.exit(1);
  }
}
