import { z } from 'zod';
import {
  envInt,
  envLogLevel,
  envPort,
  envString,
  eventBusConfig,
  eventBusEnvShape,
  loadConfig,
  withEventBusRules,
  type EventBusConfig,
} from '@grider-ms-tickets/common';
import type { LevelWithSilent } from 'pino';
import { envDashboardCredentials, type DashboardCredentials } from './dashboard/credentials';
import { redisConfig, redisEnvShape, withRedisRules, type RedisConfig } from './redis-env';

/**
 * The shortest EXPIRATION_RETENTION_SECONDS accepted: one hour. The window is
 * how long a completed job and a cancellation are remembered. A shorter one
 * lets a duplicate or late order:created schedule a second expiration, and lets
 * an order:cancelled that arrived before its order:created be forgotten, so the
 * order would expire after all. An hour is far beyond the listeners' ack wait
 * (30 s) and redelivery backoff (at most 30 s), so only an outage of the
 * consumers longer than the window can still bring a copy too late.
 */
export const MIN_RETENTION_SECONDS = 3600;

/** The environment of the expiration service. Every variable is read here and nowhere else. */
export const expirationEnvSchema = withRedisRules(
  withEventBusRules(
    z.object({
      ...eventBusEnvShape,
      // A single Redis or Sentinel, the WAIT for replicas, the command timeout: see redis-env.ts.
      ...redisEnvShape,
      /** Bull's key prefix; tests give each run its own. */
      QUEUE_PREFIX: envString({ default: 'bull' }),
      EXPIRATION_CONCURRENCY: envInt({ min: 1, max: 10_000, default: 50 }),
      /** Tries of one expiration's publish before the job is parked as failed. */
      EXPIRATION_PUBLISH_ATTEMPTS: envInt({ min: 1, default: 50 }),
      /** The first retry's delay; each retry doubles it, up to EXPIRATION_BACKOFF_MAX_MS. */
      EXPIRATION_BACKOFF_MS: envInt({ min: 1, default: 1_000 }),
      EXPIRATION_BACKOFF_MAX_MS: envInt({ min: 1, default: 60_000 }),
      /** How long a completed job and a cancellation are remembered; see MIN_RETENTION_SECONDS. */
      EXPIRATION_RETENTION_SECONDS: envInt({ default: 24 * 60 * 60 }).refine(
        (seconds) => seconds >= MIN_RETENTION_SECONDS,
        `must be at least ${MIN_RETENTION_SECONDS}: it is how long a completed job and a cancellation are remembered, ` +
          'and a shorter window lets a duplicate or late order:created schedule a second expiration and forgets an ' +
          'order:cancelled that arrived before its order:created',
      ),
      HEALTH_PORT: envPort(8080),
      /**
       * How long the shutdown may take before the process exits 1. With a 5 s
       * preStop, if the pod has one, it must fit in terminationGracePeriodSeconds
       * (60 in infra/k8s) with a margin, or the kubelet's SIGKILL cuts it short.
       */
      SHUTDOWN_TIMEOUT_SECONDS: envInt({ min: 1, max: 3600, default: 25 }),
      LOG_LEVEL: envLogLevel(),
      /** `user:password` of the queue dashboard at /admin/queues; unset, there is none (see src/dashboard). */
      DASHBOARD_CREDENTIALS: envDashboardCredentials(),
    }),
  ),
);

/** The validated settings of the expiration service. */
export interface ExpirationConfig {
  eventBus: EventBusConfig;
  redis: RedisConfig;
  queuePrefix: string;
  concurrency: number;
  publishAttempts: number;
  backoffMs: number;
  backoffMaxMs: number;
  retentionSeconds: number;
  healthPort: number;
  shutdownTimeoutSeconds: number;
  logLevel: LevelWithSilent;
  /** The dashboard's login; undefined: no dashboard. */
  dashboardCredentials?: DashboardCredentials;
}

/**
 * Validates the environment.
 *
 * @param env - the variables, `process.env` by default
 * @returns the settings
 * @throws ConfigError naming every missing or malformed variable
 */
export function loadExpirationConfig(env: NodeJS.ProcessEnv = process.env): ExpirationConfig {
  const e = loadConfig(expirationEnvSchema, env);
  return {
    eventBus: eventBusConfig(e),
    redis: redisConfig(e),
    queuePrefix: e.QUEUE_PREFIX,
    concurrency: e.EXPIRATION_CONCURRENCY,
    publishAttempts: e.EXPIRATION_PUBLISH_ATTEMPTS,
    backoffMs: e.EXPIRATION_BACKOFF_MS,
    backoffMaxMs: e.EXPIRATION_BACKOFF_MAX_MS,
    retentionSeconds: e.EXPIRATION_RETENTION_SECONDS,
    healthPort: e.HEALTH_PORT,
    shutdownTimeoutSeconds: e.SHUTDOWN_TIMEOUT_SECONDS,
    logLevel: e.LOG_LEVEL,
    dashboardCredentials: e.DASHBOARD_CREDENTIALS,
  };
}
