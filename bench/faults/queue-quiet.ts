import type Redis from 'ioredis';
import type { ExpirationObserver } from '../src/lib/expiration-observer';
import { queueSizes } from '../src/lib/redis-tools';
import type { Space } from '../src/lib/space';
import { waitFor } from '../src/lib/wait';

/** How long nothing may be seen before the queue counts as quiet. */
const QUIET_MS = 3_000;

/**
 * Waits until the queue holds nothing delayed, waiting or active and the
 * observer has seen no expiration:complete for 3 s, so that a late duplicate
 * or an expiration of a cancelled order would be caught before the checks.
 *
 * @param redis - a connection to the queue's Redis
 * @param space - names the queue's keys
 * @param observer - what sees the expirations
 * @param timeoutMs - how long to wait
 * @throws Error when it is not quiet within `timeoutMs`
 */
export async function waitQueueQuiet(
  redis: Redis,
  space: Space,
  observer: ExpirationObserver,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const s = await queueSizes(redis, (k) => space.key(k));
      return (
        s.delayed + s.waiting + s.active === 0 &&
        Date.now() - Math.max(observer.stored.lastRecordAt, observer.wire.lastRecordAt) > QUIET_MS
      );
    },
    { timeoutMs, intervalMs: 200, what: 'the queue to be idle' },
  );
}
