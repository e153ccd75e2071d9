/**
 * Fakes only `Date` in a jest test: timers, ticks and microtasks stay real, so
 * that Redis, NATS and HTTP keep working while a clock that the code reads
 * with `Date.now()` (an outage's duration, a token's age) is moved forward with
 * `jest.setSystemTime`. Undo it with `jest.useRealTimers()`.
 */
export function fakeDateOnly(): void {
  jest.useFakeTimers({
    doNotFake: [
      'nextTick',
      'setImmediate',
      'setTimeout',
      'setInterval',
      'clearTimeout',
      'clearInterval',
      'queueMicrotask',
    ],
  });
}
