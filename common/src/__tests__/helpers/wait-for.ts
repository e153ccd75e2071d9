/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** @defaultValue 10000 */
  timeoutMs?: number;
  /** @defaultValue 20 */
  intervalMs?: number;
  /** Named in the timeout error. */
  what?: string;
}

/** What a truthy check leaves of `T`. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

/**
 * Polls until `probe` returns something truthy, so tests wait for an event
 * instead of sleeping for a guessed time.
 *
 * @param probe - checked every `intervalMs`; may be async
 * @param options - timeout, interval and a description
 * @returns the first truthy value
 * @throws Error when the timeout passes first
 */
export async function waitFor<T>(probe: () => T | Promise<T>, options: WaitForOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 10_000, intervalMs = 20, what = 'the condition' } = options;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as Truthy<T>;
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
 * Waits a fixed time. Only for proving that something did NOT happen.
 *
 * @param ms - milliseconds
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
