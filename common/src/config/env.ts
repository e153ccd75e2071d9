import { z } from 'zod';
import { ConfigError } from './config-error';

// Kubernetes and shells both produce empty variables; they mean "not set".
const blankToUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const required = {
  error: (issue: { input?: unknown }) => (issue.input === undefined ? 'is required' : 'must be a string'),
};

/** Options of {@link envString}. */
export interface EnvStringOptions {
  /** Used when the variable is unset or blank; without it the variable is required. */
  default?: string;
  /**
   * Whether surrounding whitespace is removed. Turn it off for a secret, such
   * as a signing key, which must be used exactly as given: a key with a
   * trailing space is another key. A value of whitespace only still counts as
   * unset either way.
   *
   * @defaultValue true
   */
  trim?: boolean;
}

/**
 * A required string variable, or one with a default.
 *
 * @param options - `default` makes it optional; `trim: false` keeps the value as given
 */
export function envString(options: EnvStringOptions = {}) {
  const text = z.string(required);
  const base = (options.trim === false ? text : text.trim()).min(1, 'is required');
  return z.preprocess(blankToUndefined, options.default === undefined ? base : base.default(options.default));
}

/** An optional string variable; blank means unset. */
export function envOptionalString() {
  return z.preprocess(blankToUndefined, z.string().trim().optional());
}

/**
 * An integer variable.
 *
 * @param options - bounds, and a default that makes it optional
 */
export function envInt(options: { default?: number; min?: number; max?: number } = {}) {
  const min = options.min ?? Number.MIN_SAFE_INTEGER;
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  const bounds =
    options.min !== undefined && options.max !== undefined
      ? `an integer from ${min} to ${max}`
      : options.min !== undefined
        ? `an integer of at least ${min}`
        : 'an integer';
  // Convert strings here rather than with z.coerce, which turns an unset
  // variable into NaN before the error callback sees it: "is required" could
  // never be reported.
  const base = z.preprocess(
    (value) => (typeof value === 'string' ? Number(value) : value),
    z
      .number({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${bounds}`) })
      .int(`must be ${bounds}`)
      .min(min, `must be ${bounds}`)
      .max(max, `must be ${bounds}`),
  );
  return z.preprocess(blankToUndefined, options.default === undefined ? base : base.default(options.default));
}

/**
 * A TCP port variable.
 *
 * @param defaultPort - used when the variable is unset
 */
export function envPort(defaultPort?: number) {
  return envInt({ min: 1, max: 65_535, default: defaultPort });
}

/**
 * A variable that takes one of a few values.
 *
 * @param values - the allowed values
 * @param defaultValue - used when the variable is unset
 */
export function envEnum<const V extends readonly [string, ...string[]]>(values: V, defaultValue?: V[number]) {
  const base = z.enum(values, { error: () => `must be one of: ${values.join(', ')}` });
  return z.preprocess(blankToUndefined, defaultValue === undefined ? base : base.default(defaultValue));
}

/**
 * A URL variable.
 *
 * @param protocols - the allowed schemes, such as `['nats:', 'tls:']`
 */
export function envUrl(protocols: readonly string[]) {
  const message = `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
  return z.preprocess(
    blankToUndefined,
    z
      .string(required)
      .trim()
      .refine((value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      }, message),
  );
}

const DURATION_UNITS = { s: 1, m: 60, h: 60 * 60, d: 24 * 60 * 60 } as const;
const DURATION = /^(\d+)\s*([smhd])?$/;
const DURATION_FORMAT = 'must be a number of seconds or a duration such as 90s, 15m, 1h or 7d';

/**
 * Reads `3600`, `3600s`, `60m`, `1h` or `7d` as seconds.
 *
 * @returns the seconds, or undefined when the value is not such a duration
 */
function parseDurationSeconds(value: string): number | undefined {
  const match = DURATION.exec(value.trim());
  if (!match) return undefined;
  const seconds = Number(match[1]) * DURATION_UNITS[(match[2] ?? 's') as keyof typeof DURATION_UNITS];
  return Number.isSafeInteger(seconds) ? seconds : undefined;
}

/** Options of {@link envDurationSeconds}. */
export interface EnvDurationOptions {
  /**
   * The smallest duration allowed, in seconds.
   *
   * @defaultValue 1
   */
  min?: number;
  /** Makes the variable optional: unset or blank reads as undefined. */
  optional?: boolean;
}

/**
 * A duration variable, read as whole seconds: a number of seconds (`3600`) or
 * a number with a unit, `s`, `m`, `h` or `d` (`60m`, `1h`, `7d`).
 *
 * @param options - the minimum, and whether it may be unset
 */
export function envDurationSeconds(options: EnvDurationOptions & { optional: true }): z.ZodType<number | undefined>;
export function envDurationSeconds(options?: EnvDurationOptions & { optional?: false }): z.ZodType<number>;
export function envDurationSeconds(options: EnvDurationOptions = {}): z.ZodType<number | undefined> {
  const min = options.min ?? 1;
  const base = z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .transform((value, ctx) => {
      const seconds = parseDurationSeconds(value);
      if (seconds === undefined) {
        ctx.addIssue({ code: 'custom', message: DURATION_FORMAT });
        return z.NEVER;
      }
      if (seconds < min) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${min} seconds` });
        return z.NEVER;
      }
      return seconds;
    });
  return z.preprocess(blankToUndefined, options.optional ? base.optional() : base);
}

/** `LOG_LEVEL`: a pino level, `info` by default. */
export function envLogLevel() {
  return envEnum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info');
}

/**
 * Validates the environment once, at start-up.
 *
 * @param schema - the service's schema of its variables
 * @param env - the variables
 * @returns the typed config
 * @throws ConfigError naming every missing or malformed variable
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.map(String).join('.') || '(environment)'}: ${issue.message}`),
  );
}
