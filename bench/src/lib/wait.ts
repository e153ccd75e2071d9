/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** @defaultValue 30000 */
  timeoutMs?: number;
  /** @defaultValue 10 */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
  /** Checked before each probe: a message ends the wait at once with that error (e.g. the child died). */
  giveUpIf?: () => string | undefined;
}

/**
 * Polls until `probe` returns something truthy.
 *
 * @param probe - checked every `intervalMs`; may be async
 * @param options - timeout, interval and a description
 * @returns the first truthy value
 * @throws Error once the timeout has passed
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions = {}): Promise<NonNullable<T>> {
  const { timeoutMs = 30_000, intervalMs = 10, what = 'the condition', giveUpIf } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    const reason = giveUpIf?.();
    if (reason) throw new Error(`gave up waiting for ${what}: ${reason}`);
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: lastError });
    }
    await sleep(intervalMs);
  }
}

/**
 * Waits a fixed time: only to hold a planned moment (a fault's time, an
 * outage's length), never to guess when something is done.
 *
 * @param ms - milliseconds; nothing for zero or less
 */
export function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/**
 * Sleeps until the wall-clock time `at`.
 *
 * @param at - epoch milliseconds
 */
export function sleepUntil(at: number): Promise<void> {
  return sleep(at - Date.now());
}
