import { z } from 'zod';
import { ConfigError } from './config-error';

// Kubernetes and shells both produce empty variables; they mean "not set".
/** Unset and blank both read as "not given". */
export const blankToUndefined = (value: unknown): unknown =>
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
  const base = integer(options);
  return z.preprocess(blankToUndefined, options.default === undefined ? base : base.default(options.default));
}

/**
 * An optional integer variable without a default: unset or blank gives undefined.
 *
 * @param options - bounds
 */
export function envOptionalInt(options: { min?: number; max?: number } = {}) {
  return z.preprocess(blankToUndefined, integer(options).optional());
}

function integer(options: { min?: number; max?: number }) {
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
  return z.preprocess(
    (value) => (typeof value === 'string' ? Number(value) : value),
    z
      .number({ error: (issue) => (issue.input === undefined ? 'is required' : `must be ${bounds}`) })
      .int(`must be ${bounds}`)
      .min(min, `must be ${bounds}`)
      .max(max, `must be ${bounds}`),
  );
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
  return z.preprocess(
    blankToUndefined,
    z
      .string(required)
      .trim()
      .refine((value) => hasProtocol(value, protocols), urlMessage(protocols)),
  );
}

/**
 * A variable holding one URL or several, separated by commas, such as the
 * servers of a cluster: `nats://a:4222,nats://b:4222`. Spaces around each are
 * dropped. An entry that is not a URL of an allowed scheme, or an empty one,
 * is named in the error.
 *
 * @param protocols - the allowed schemes, such as `['nats:', 'tls:']`
 * @returns the URLs, in the order given
 */
export function envUrlList(protocols: readonly string[]) {
  return z.preprocess(
    blankToUndefined,
    z.string(required).transform((value, ctx) => {
      const urls = value.split(',').map((entry) => entry.trim());
      for (const url of urls) {
        if (url === '') ctx.addIssue({ code: 'custom', message: 'has an empty entry (two commas, or one at an end)' });
        else if (!hasProtocol(url, protocols)) {
          // A lone URL is the whole value, which names itself; of several, say which one.
          const message =
            urls.length === 1
              ? urlMessage(protocols)
              : `has the entry "${withoutUserInfo(url)}", which ${urlMessage(protocols)}`;
          ctx.addIssue({ code: 'custom', message });
        }
      }
      return urls;
    }),
  );
}

function urlMessage(protocols: readonly string[]): string {
  return `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`;
}

/** A URL may carry a user and password (`nats://user:pass@host`); an error message must not. */
function withoutUserInfo(url: string): string {
  return url.replace(/^([^/]*\/\/)[^/@]*@/, '$1…@');
}

function hasProtocol(value: string, protocols: readonly string[]): boolean {
  try {
    return protocols.includes(new URL(value).protocol);
  } catch {
    return false;
  }
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
