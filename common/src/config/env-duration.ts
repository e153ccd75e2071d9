import { z } from 'zod';
import { blankToUndefined, envOptionalString } from './env';

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * Reads a duration as people write it: `7d`, `168h`, `90m`, `3600s`, or a bare
 * number of seconds.
 *
 * @param text - the duration
 * @returns milliseconds, or undefined when `text` is not a duration
 */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+)\s*([smhd])?$/i.exec(text.trim());
  if (!match) return undefined;
  const unit = (match[2]?.toLowerCase() ?? 's') as keyof typeof UNIT_MS;
  const ms = Number(match[1]) * UNIT_MS[unit];
  return Number.isSafeInteger(ms) ? ms : undefined;
}

/**
 * Writes milliseconds in the largest whole unit, the way {@link parseDuration} reads them.
 *
 * @param ms - milliseconds
 * @returns such as `7d`, `90m` or `1500ms`
 */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    if (ms >= UNIT_MS[unit] && ms % UNIT_MS[unit] === 0) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms}ms`;
}

/** Options of {@link envDuration}. */
export interface EnvDurationOptions {
  /** Used when the variable is unset, written as the variable would be, such as `7d`. */
  default: string;
  /** The shortest duration accepted, written as the variable would be, such as `1h`. */
  min?: string;
  /** Why shorter durations are refused; shown in the error. */
  minReason?: string;
}

/**
 * A duration variable (`7d`, `168h`, `90m`, `3600s`, or seconds), read as milliseconds.
 *
 * @param options - the default and the minimum
 */
export function envDuration(options: EnvDurationOptions) {
  const minMs = options.min === undefined ? 0 : parseDuration(options.min);
  if (minMs === undefined || parseDuration(options.default) === undefined) {
    throw new Error(`envDuration: bad default or min in ${JSON.stringify(options)}`);
  }
  return envOptionalString().transform((value, ctx) => {
    const ms = parseDuration(value ?? options.default);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be a duration such as 7d, 168h, 90m or 3600s, or a number of seconds',
      });
      return z.NEVER;
    }
    if (ms < minMs) {
      const why = options.minReason ? ` (${options.minReason})` : '';
      ctx.addIssue({ code: 'custom', message: `must be at least ${formatDuration(minMs)}${why}` });
      return z.NEVER;
    }
    return ms;
  });
}

/** Options of {@link envDurationSeconds}. */
export interface EnvDurationSecondsOptions {
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
 * a number with a unit, `s`, `m`, `h` or `d` (`60m`, `1h`, `7d`). Unlike
 * {@link envDuration} it has no default, and it may be optional.
 *
 * @param options - the minimum, and whether it may be unset
 */
export function envDurationSeconds(
  options: EnvDurationSecondsOptions & { optional: true },
): z.ZodType<number | undefined>;
export function envDurationSeconds(options?: EnvDurationSecondsOptions & { optional?: false }): z.ZodType<number>;
export function envDurationSeconds(options: EnvDurationSecondsOptions = {}): z.ZodType<number | undefined> {
  const min = options.min ?? 1;
  const base = z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .transform((value, ctx) => {
      const ms = parseDuration(value);
      if (ms === undefined || ms % 1_000 !== 0) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be a number of seconds or a duration such as 90s, 15m, 1h or 7d',
        });
        return z.NEVER;
      }
      if (ms / 1_000 < min) {
        ctx.addIssue({ code: 'custom', message: `must be at least ${min} seconds` });
        return z.NEVER;
      }
      return ms / 1_000;
    });
  return z.preprocess(blankToUndefined, options.optional ? base.optional() : base);
}
