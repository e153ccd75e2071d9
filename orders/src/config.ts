import { z } from 'zod';
import {
  envDurationSeconds,
  envEnum,
  envInt,
  envLogLevel,
  envOptionalString,
  envPort,
  envString,
  eventBusConfig,
  eventBusEnvShape,
  loadConfig,
  withEventBusRules,
  type EventBusConfig,
} from '@grider-ms-tickets/common';
import type { LevelWithSilent } from 'pino';

/**
 * The shortest `JWT_KEY` accepted in production, in bytes: HS256 keys should
 * be at least as long as the hash (RFC 7518 §3.2), 256 bits.
 */
export const MIN_JWT_KEY_BYTES = 32;

/** The environment of the orders service. Every variable is read here and nowhere else. */
export const ordersEnvSchema = withEventBusRules(
  z.object({
    ...eventBusEnvShape,
    /** Used exactly as given: a key with a trailing space or newline is another key. */
    JWT_KEY: envString({ trim: false }),
    /** The oldest session token accepted, by its `iat`; unset: any age. */
    JWT_MAX_AGE: envDurationSeconds({ optional: true }),
    /** `production` makes a short JWT_KEY stop start-up rather than warn. */
    NODE_ENV: envOptionalString(),
    /** `mongo` in production; `memory` where no MongoDB exists (nothing is durable). */
    ORDERS_STORE: envEnum(['mongo', 'memory'], 'mongo'),
    MONGO_URI: envOptionalString().refine(
      (uri) => uri === undefined || /^mongodb(\+srv)?:\/\//.test(uri),
      'must start with mongodb:// or mongodb+srv://',
    ),
    PORT: envPort(3000),
    /** The proxies in front of the service whose X-Forwarded-* headers are believed: the ingress. */
    TRUST_PROXY_HOPS: envInt({ min: 0, max: 100, default: 1 }),
    EXPIRATION_WINDOW_SECONDS: envInt({ min: 1, default: 15 * 60 }),
    /** How often the sweeper looks for overdue orders and owed events. */
    ORDERS_SWEEP_INTERVAL_SECONDS: envInt({ min: 1, default: 30 }),
    /** How long after its expiresAt an unpaid order is left to the expiration service before the sweeper cancels it. */
    EXPIRATION_GRACE_SECONDS: envInt({ min: 0, default: 60 }),
    /** The shutdown's budget; with the pod's 5 s preStop it must fit in terminationGracePeriodSeconds. */
    SHUTDOWN_TIMEOUT_SECONDS: envInt({ min: 1, max: 3600, default: 20 }),
    LOG_LEVEL: envLogLevel(),
  }),
)
  .refine((env) => env.ORDERS_STORE !== 'mongo' || !!env.MONGO_URI, {
    path: ['MONGO_URI'],
    message: 'is required when ORDERS_STORE is mongo',
    when: () => true,
  })
  .refine((env) => env.NODE_ENV !== 'production' || typeof env.JWT_KEY !== 'string' || !isShortKey(env.JWT_KEY), {
    path: ['JWT_KEY'],
    message: `must be at least ${MIN_JWT_KEY_BYTES} bytes when NODE_ENV is production`,
    when: () => true,
  });

/** The validated settings of the orders service. */
export interface OrdersConfig {
  eventBus: EventBusConfig;
  jwtKey: string;
  /** Session tokens issued longer ago are refused; undefined: any age. */
  jwtMaxAgeSeconds?: number;
  trustProxyHops: number;
  store: { kind: 'mongo'; uri: string } | { kind: 'memory' };
  port: number;
  expirationWindowSeconds: number;
  sweepIntervalSeconds: number;
  expirationGraceSeconds: number;
  shutdownTimeoutSeconds: number;
  logLevel: LevelWithSilent;
  /** What is allowed but unwise, logged at warn level at start-up. */
  warnings: string[];
}

/**
 * Validates the environment.
 *
 * @param env - the variables, `process.env` by default
 * @returns the settings
 * @throws ConfigError naming every missing or malformed variable
 */
export function loadOrdersConfig(env: NodeJS.ProcessEnv = process.env): OrdersConfig {
  const e = loadConfig(ordersEnvSchema, env);
  const warnings: string[] = [];
  if (isShortKey(e.JWT_KEY)) {
    warnings.push(
      `JWT_KEY is ${Buffer.byteLength(e.JWT_KEY)} bytes; use at least ${MIN_JWT_KEY_BYTES} random bytes ` +
        '(with NODE_ENV=production a shorter key stops start-up)',
    );
  }
  return {
    eventBus: eventBusConfig(e),
    jwtKey: e.JWT_KEY,
    jwtMaxAgeSeconds: e.JWT_MAX_AGE,
    trustProxyHops: e.TRUST_PROXY_HOPS,
    store: e.ORDERS_STORE === 'mongo' ? { kind: 'mongo', uri: e.MONGO_URI as string } : { kind: 'memory' },
    port: e.PORT,
    expirationWindowSeconds: e.EXPIRATION_WINDOW_SECONDS,
    sweepIntervalSeconds: e.ORDERS_SWEEP_INTERVAL_SECONDS,
    expirationGraceSeconds: e.EXPIRATION_GRACE_SECONDS,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    logLevel: e.LOG_LEVEL,
    warnings,
  };
}

function isShortKey(key: string): boolean {
  return Buffer.byteLength(key, 'utf8') < MIN_JWT_KEY_BYTES;
}
