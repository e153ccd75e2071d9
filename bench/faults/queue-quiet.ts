import type Redis from 'ioredis';
import type { ExpirationObserver } from '../src/lib/expiration-observer';
import { queueSizes } from '../src/lib/redis-tools';
import type { Space } from '../src/lib/space';
import { untilQuiet } from './quiet';

/**
 * Waits until the queue holds nothing delayed, waiting or active and the
 * observer has seen no expiration:complete for a while, so that a late
 * duplicate or an expiration of a cancelled order would be caught before the checks.
 *
 * @param redis - a connection to the queue's Redis
 * @param space - names the queue's keys
 * @param observer - what sees the expirations
 * @returns a promise that rejects when it is not quiet within a minute
 */
export function waitQueueQuiet(redis: Redis, space: Space, observer: ExpirationObserver): Promise<unknown> {
  return untilQuiet(
    () => Math.max(observer.stored.lastRecordAt, observer.wire.lastRecordAt),
    async () => {
      const s = await queueSizes(redis, (k) => space.key(k));
      return s.delayed + s.waiting + s.active === 0;
    },
  );
}
