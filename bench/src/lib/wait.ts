import { sleep } from '@grider-ms-tickets/common/testing';

// One waitFor, sleep and freePort for the whole repository: common's test kit.
export { waitFor, sleep, freePort, type WaitForOptions } from '@grider-ms-tickets/common/testing';

/**
 * Sleeps until the wall-clock time `at`: only to hold a planned moment (a
 * fault's time, an outage's length), never to guess when something is done.
 *
 * @param at - epoch milliseconds; nothing when it has passed
 */
export function sleepUntil(at: number): Promise<void> {
  const ms = at - Date.now();
  return ms > 0 ? sleep(ms) : Promise.resolve();
}
