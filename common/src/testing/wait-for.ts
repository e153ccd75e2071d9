import { createServer } from 'node:net';

/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** @defaultValue 20000 */
  timeoutMs?: number;
  /** @defaultValue 25 */
  intervalMs?: number;
}

/**
 * Polls until `probe` returns something truthy, so tests wait for an event
 * instead of sleeping for a guessed time. A probe that throws counts as not yet.
 *
 * @param probe - checked every `intervalMs`; may be async
 * @param what - named in the timeout error
 * @param options - timeout and interval
 * @returns the first truthy value
 * @throws Error when the timeout passes first, with the probe's last error as cause
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  options: WaitForOptions = {},
): Promise<NonNullable<T>> {
  const { timeoutMs = 20_000, intervalMs = 25 } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * A TCP port on 127.0.0.1 that was free a moment ago.
 *
 * @returns the port
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
