import { z } from 'zod';
import {
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

/** The environment of the orders service. Every variable is read here and nowhere else. */
export const ordersEnvSchema = withEventBusRules(
  z.object({
    ...eventBusEnvShape,
    JWT_KEY: envString(),
    /** `mongo` in production; `memory` where no MongoDB exists (nothing is durable). */
    ORDERS_STORE: envEnum(['mongo', 'memory'], 'mongo'),
    MONGO_URI: envOptionalString().refine(
      (uri) => uri === undefined || /^mongodb(\+srv)?:\/\//.test(uri),
      'must start with mongodb:// or mongodb+srv://',
    ),
    PORT: envPort(3000),
    EXPIRATION_WINDOW_SECONDS: envInt({ min: 1, default: 15 * 60 }),
    /** After this many deliveries of an expiration:complete for an unknown order, it is logged and dropped. */
    EXPIRATION_MAX_DELIVERIES: envInt({ min: 1, default: 10 }),
    LOG_LEVEL: envLogLevel(),
  }),
).refine((env) => env.ORDERS_STORE !== 'mongo' || !!env.MONGO_URI, {
  path: ['MONGO_URI'],
  message: 'is required when ORDERS_STORE is mongo',
  when: () => true,
});

/** The validated settings of the orders service. */
export interface OrdersConfig {
  eventBus: EventBusConfig;
  jwtKey: string;
  store: { kind: 'mongo'; uri: string } | { kind: 'memory' };
  port: number;
  expirationWindowSeconds: number;
  expirationMaxDeliveries: number;
  logLevel: LevelWithSilent;
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
  return {
    eventBus: eventBusConfig(e),
    jwtKey: e.JWT_KEY,
    store: e.ORDERS_STORE === 'mongo' ? { kind: 'mongo', uri: e.MONGO_URI as string } : { kind: 'memory' },
    port: e.PORT,
    expirationWindowSeconds: e.EXPIRATION_WINDOW_SECONDS,
    expirationMaxDeliveries: e.EXPIRATION_MAX_DELIVERIES,
    logLevel: e.LOG_LEVEL,
  };
}
