import { z } from 'zod';
import { envInt, envOptionalInt, envOptionalString } from '@grider-ms-tickets/common';
import type { RedisConnectionOptions, RedisSentinelOptions } from './queues/redis-connections';
import type { ReplicaWaitOptions } from './queues/replica-wait';

/** The port of a single Redis when REDIS_PORT is not set. */
const DEFAULT_REDIS_PORT = 6379;

/**
 * One `host:port` of REDIS_SENTINELS. An IPv6 address goes in brackets,
 * `[::1]:26379`, since its own colons would hide the port.
 *
 * @param entry - one entry, trimmed
 * @returns the address, or undefined when the entry is not `host:port`
 */
export function parseHostPort(entry: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([^\]\s]+)\]|([^:\s[\]]+)):(\d{1,5})$/.exec(entry);
  if (!match) return undefined;
  const port = Number(match[3]);
  if (port < 1 || port > 65_535) return undefined;
  return { host: match[1] ?? match[2], port };
}

/**
 * `REDIS_SENTINELS`: `host:port,host:port,…`, blank entries ignored. A
 * malformed entry is named in the message, so that the one at fault can be
 * found in a long list.
 */
function envSentinels() {
  return envOptionalString().transform((value, ctx) => {
    if (value === undefined) return undefined;
    const entries = value
      .split(',')
      .map((entry) => entry.trim())
      .filter((entry) => entry !== '');
    const sentinels: Array<{ host: string; port: number }> = [];
    for (const entry of entries) {
      const address = parseHostPort(entry);
      if (address) sentinels.push(address);
      else {
        ctx.addIssue({
          code: 'custom',
          message: `the entry ${JSON.stringify(entry)} is not host:port (a port from 1 to 65535)`,
        });
      }
    }
    if (entries.length === 0) ctx.addIssue({ code: 'custom', message: 'lists no sentinel' });
    return sentinels;
  });
}

/**
 * The Redis variables of the expiration service. Redis is either one server,
 * `REDIS_HOST` (and `REDIS_PORT`), or a master found through Sentinel,
 * `REDIS_SENTINELS` with `REDIS_SENTINEL_NAME`: {@link withRedisRules} refuses
 * both at once, and neither.
 */
export const redisEnvShape = {
  REDIS_HOST: envOptionalString(),
  /**
   * Optional without a default, so that setting it beside REDIS_SENTINELS can
   * be refused. Blank is unset, as for every variable.
   */
  REDIS_PORT: envOptionalInt({ min: 1, max: 65_535 }),
  /** The data nodes' password (the master's and the replicas'), in either mode. */
  REDIS_PASSWORD: envOptionalString(),
  REDIS_SENTINELS: envSentinels(),
  /** The name the sentinels monitor the master under (`sentinel monitor <name> …`). */
  REDIS_SENTINEL_NAME: envOptionalString(),
  /** The sentinels' own password (`requirepass` in their config), if they have one. */
  REDIS_SENTINEL_PASSWORD: envOptionalString(),
  /**
   * How long a command on the general Redis connection (adds, checks,
   * PING) waits for an answer, so that a hung Redis fails readiness and the
   * handler (the message comes back) instead of hanging for ever.
   */
  REDIS_COMMAND_TIMEOUT_MS: envInt({ min: 100, default: 5_000 }),
  /**
   * How many replicas must hold a batch of jobs (or a cancellation) before its
   * event is acked: `WAIT <n>` after the writes. 0 acks once the master has
   * them, and a failover may then lose acknowledged orders, since replication
   * is asynchronous.
   */
  REDIS_WAIT_REPLICAS: envInt({ min: 0, max: 100, default: 0 }),
  /**
   * How long that WAIT may block; with REDIS_WAIT_REPLICAS above 0, it must
   * be below REDIS_COMMAND_TIMEOUT_MS, which would cut it short.
   */
  REDIS_WAIT_TIMEOUT_MS: envInt({ min: 1, default: 1_000 }),
};

/** The Redis variables, once validated. */
export type RedisEnv = z.output<z.ZodObject<typeof redisEnvShape>>;

/**
 * Adds the rules between the Redis variables: one Redis or the sentinels, not
 * both and not neither; a sentinel name with the sentinels and only then; a
 * WAIT timeout shorter than the command timeout when WAIT runs.
 *
 * @param schema - an object schema with {@link redisEnvShape} in it
 * @returns the schema with the rules
 */
export function withRedisRules<S extends z.ZodObject<typeof redisEnvShape>>(schema: S) {
  // Run even when a variable failed on its own, so that one message names every problem.
  const always = { when: () => true };
  return schema.superRefine((env: Partial<RedisEnv>, ctx) => {
    const issue = (key: keyof RedisEnv, message: string) => ctx.addIssue({ code: 'custom', path: [key], message });
    const failed = (key: keyof RedisEnv) => ctx.issues.some((i) => i.path?.[0] === key);
    const sentinels = env.REDIS_SENTINELS !== undefined;
    if (sentinels) {
      for (const key of ['REDIS_HOST', 'REDIS_PORT'] as const) {
        if (env[key] !== undefined) {
          issue(
            key,
            'must not be set together with REDIS_SENTINELS: give a single Redis (REDIS_HOST, REDIS_PORT) ' +
              'or the sentinels that find its master (REDIS_SENTINELS, REDIS_SENTINEL_NAME)',
          );
        }
      }
      if (env.REDIS_SENTINEL_NAME === undefined)
        issue('REDIS_SENTINEL_NAME', 'is required when REDIS_SENTINELS is set');
    } else {
      if (env.REDIS_HOST === undefined) issue('REDIS_HOST', 'is required');
      for (const key of ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD'] as const) {
        if (env[key] !== undefined) issue(key, 'is only used with REDIS_SENTINELS, which is not set');
      }
    }
    const { REDIS_WAIT_REPLICAS: replicas, REDIS_WAIT_TIMEOUT_MS: wait, REDIS_COMMAND_TIMEOUT_MS: command } = env;
    const comparable = !failed('REDIS_WAIT_TIMEOUT_MS') && !failed('REDIS_COMMAND_TIMEOUT_MS');
    // Only when WAIT runs at all: a short command timeout alone stays valid.
    if (comparable && replicas && wait !== undefined && command !== undefined && wait >= command) {
      issue(
        'REDIS_WAIT_TIMEOUT_MS',
        `must be less than REDIS_COMMAND_TIMEOUT_MS (${command}): WAIT runs on the general connection, ` +
          'whose command timeout would end it first',
      );
    }
  }, always);
}

/** The Redis settings of the service. */
export interface RedisConfig extends RedisConnectionOptions {
  /**
   * The single Redis; with sentinels, the first sentinel. Only the sentinels'
   * answer says where the master is, so with `sentinel` set these name a
   * place to ask, not where the data is.
   */
  host: string;
  port: number;
  /** How many replicas must hold a batch's writes before it is acked, and how long to wait for them. */
  replicaWait: ReplicaWaitOptions;
}

/**
 * @param env - validated variables (see {@link withRedisRules})
 * @returns the settings they give
 */
export function redisConfig(env: RedisEnv): RedisConfig {
  const common = {
    password: env.REDIS_PASSWORD,
    commandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    replicaWait: { replicas: env.REDIS_WAIT_REPLICAS, timeoutMs: env.REDIS_WAIT_TIMEOUT_MS },
  };
  if (env.REDIS_SENTINELS) {
    // withRedisRules guarantees the name and at least one sentinel.
    const sentinel: RedisSentinelOptions = {
      sentinels: env.REDIS_SENTINELS,
      name: env.REDIS_SENTINEL_NAME as string,
      password: env.REDIS_SENTINEL_PASSWORD,
    };
    return { ...env.REDIS_SENTINELS[0], sentinel, ...common };
  }
  // withRedisRules guarantees REDIS_HOST when there are no sentinels.
  return { host: env.REDIS_HOST as string, port: env.REDIS_PORT ?? DEFAULT_REDIS_PORT, ...common };
}
