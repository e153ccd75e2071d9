/** What {@link fakeDateOnly} leaves real. */
const REAL = [
  'nextTick',
  'setImmediate',
  'setTimeout',
  'setInterval',
  'clearTimeout',
  'clearInterval',
  'queueMicrotask',
] as const;

/** The part of jest's API that {@link fakeDateOnly} uses; the kit itself does not depend on jest. */
export interface FakeTimersApi {
  useFakeTimers(config: { doNotFake: Array<(typeof REAL)[number]> }): unknown;
}

/**
 * Fakes only `Date` in a jest test: timers, ticks and microtasks stay real, so
 * that Redis, NATS and HTTP keep working while a clock that the code reads
 * with `Date.now()` (an outage's duration, a token's age) is moved forward with
 * `jest.setSystemTime`. Undo it with `jest.useRealTimers()`.
 *
 * @param jest - the test's `jest` object
 */
export function fakeDateOnly(jest: FakeTimersApi): void {
  jest.useFakeTimers({ doNotFake: [...REAL] });
}
