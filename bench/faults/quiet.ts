import { waitFor } from '../src/lib/wait';

/**
 * How long a scenario waits with nothing new seen before it checks: long
 * enough for a late duplicate, or an expiration that should never come, to show.
 */
export const QUIET_MS = 3_000;

/**
 * Waits until nothing new has been seen for {@link QUIET_MS} and, when `idle`
 * is given, until it says the queue is empty too.
 *
 * @param lastSeen - when the latest event was seen, in epoch milliseconds
 * @param idle - whether nothing is queued any more
 * @returns a promise that rejects after a minute, naming what it waited for
 */
export function untilQuiet(lastSeen: () => number, idle?: () => Promise<boolean>): Promise<unknown> {
  return waitFor(async () => Date.now() - lastSeen() > QUIET_MS && (idle === undefined || (await idle())), {
    timeoutMs: 60_000,
    intervalMs: 200,
    what: idle ? 'the queue to be idle' : `no new event for ${QUIET_MS / 1000} s`,
  });
}
