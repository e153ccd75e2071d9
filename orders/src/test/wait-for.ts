/**
 * Polls until `probe` returns something truthy, so tests wait for an event
 * rather than sleep for a guessed time.
 *
 * @param probe - checked every 25 ms; may be async
 * @param what - named in the timeout error
 * @param timeoutMs - how long to wait
 * @returns the first truthy value
 * @throws Error when the timeout passes first
 */
export async function waitFor<T>(probe: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
