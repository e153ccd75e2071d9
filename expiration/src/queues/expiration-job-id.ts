import { isEventId } from '@grider-ms-tickets/common';

/**
 * The names Bull 4.16 gives its own keys directly under the queue's key
 * `<prefix>:order:expiration:`, plus this service's `cancelled`. A job's hash
 * lives at the same level, `<prefix>:order:expiration:<job id>`, so a job id
 * equal to one of these names would be one of Bull's keys: a job `wait` would
 * make the wait list a hash, and every poll would fail with WRONGTYPE.
 *
 * Read from bull/lib: the `keys` of queue.js, `toKey('meta')`, `metrics:*` in
 * scripts.js and getters.js, and the Lua scripts (obliterate-2.lua deletes the
 * whole set). Some of Bull's names are pub/sub channels rather than keys
 * (`waiting`, `debounced`, ...), and BullMQ's (`events`, `marker`,
 * `prioritized`, `pc`) are here should the queue move there. The list only
 * ever refuses a lookup of a job by its bare order id, so a name too many costs
 * at most this: a legacy job whose order id is that very word is not found.
 */
export const QUEUE_KEY_NAMES: ReadonlySet<string> = new Set([
  // bull/lib/queue.js `keys`
  'active',
  'wait',
  'waiting',
  'paused',
  'resumed',
  'meta-paused',
  'id',
  'delayed',
  'priority',
  'stalled-check',
  'completed',
  'failed',
  'stalled',
  'repeat',
  'limiter',
  'drained',
  'duplicated',
  'progress',
  'de',
  // toKey('meta'), toKey(`metrics:${type}`), and the debounce channel
  'meta',
  'metrics',
  'debounced',
  // BullMQ
  'events',
  'marker',
  'prioritized',
  'pc',
  // this service: the sorted set of cancellations (see expiration-queue.ts)
  'cancelled',
]);

/**
 * The Bull job id of an order's expiration: `order:<orderId>`. The namespace
 * keeps an order id from ever naming one of Bull's own keys (an order `wait`
 * is the job `order:wait`, whose key is `<prefix>:order:expiration:order:wait`).
 *
 * @param orderId - the order
 * @returns the job id
 */
export function expirationJobId(orderId: string): string {
  return `order:${orderId}`;
}

/**
 * The job id an earlier version gave an order's expiration (the bare order id),
 * when such a job can exist and be looked up safely: the id has the event id
 * format (so no `:` can reach a `<job>:lock` key) and is none of
 * {@link QUEUE_KEY_NAMES} (so the lookup never reads one of Bull's keys as a
 * job). An earlier version that got an order named after one of Bull's keys
 * broke its queue with it rather than storing a job.
 *
 * @param orderId - the order
 * @returns the legacy job id, or undefined when there is none to look up
 */
export function legacyExpirationJobId(orderId: string): string | undefined {
  return isEventId(orderId) && !QUEUE_KEY_NAMES.has(orderId) ? orderId : undefined;
}
