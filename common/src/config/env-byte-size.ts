import { z } from 'zod';
import { envOptionalString } from './env';

const UNIT_BYTES = { kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 } as const;

/**
 * Reads a size in bytes: `1GiB`, `512MiB`, `64KiB`, `1TiB`, or a bare number of bytes.
 *
 * @param text - the size
 * @returns bytes, or undefined when `text` is not a size
 */
export function parseByteSize(text: string): number | undefined {
  const match = /^(\d+)\s*(KiB|MiB|GiB|TiB)?$/i.exec(text.trim());
  if (!match) return undefined;
  const factor = match[2] ? UNIT_BYTES[match[2].toLowerCase() as keyof typeof UNIT_BYTES] : 1;
  const bytes = Number(match[1]) * factor;
  return Number.isSafeInteger(bytes) ? bytes : undefined;
}

/** Options of {@link envByteSize}. */
export interface EnvByteSizeOptions {
  /** Used when the variable is unset, written as the variable would be, such as `1GiB`. */
  default: string;
  /** The smallest size accepted, written as the variable would be, such as `1MiB`. */
  min?: string;
  /** Why smaller sizes are refused; shown in the error. */
  minReason?: string;
}

/**
 * A size variable (`1GiB`, `512MiB`, or bytes), read as bytes.
 *
 * @param options - the default and the minimum
 */
export function envByteSize(options: EnvByteSizeOptions) {
  const minBytes = options.min === undefined ? 0 : parseByteSize(options.min);
  if (minBytes === undefined || parseByteSize(options.default) === undefined) {
    throw new Error(`envByteSize: bad default or min in ${JSON.stringify(options)}`);
  }
  return envOptionalString().transform((value, ctx) => {
    const bytes = parseByteSize(value ?? options.default);
    if (bytes === undefined) {
      ctx.addIssue({ code: 'custom', message: 'must be a size such as 1GiB or 512MiB, or a number of bytes' });
      return z.NEVER;
    }
    if (bytes < minBytes) {
      const why = options.minReason ? ` (${options.minReason})` : '';
      ctx.addIssue({ code: 'custom', message: `must be at least ${options.min}${why}` });
      return z.NEVER;
    }
    return bytes;
  });
}
