/** A function that records its calls, in jest's `mock.calls` shape. */
export type Spy = ((...args: unknown[]) => void) & { mock: { calls: unknown[][] } };

// Under jest, `jest` is in scope of every module it loads; elsewhere it is not.
declare const jest: { fn: () => Spy } | undefined;

/**
 * A `jest.fn()` when running under jest, so that `expect(msg.ack).toHaveBeenCalled()`
 * works; otherwise a plain recorder with the same `mock.calls`.
 *
 * @returns the spy
 */
export function createSpy(): Spy {
  if (typeof jest !== 'undefined') return jest.fn();
  const calls: unknown[][] = [];
  return Object.assign((...args: unknown[]) => void calls.push(args), { mock: { calls } });
}
