import type Redis from 'ioredis';

/**
 * How Bull 4 scores a job in its `delayed` sorted set: `dueAt * 0x1000 + (n & 0xfff)`,
 * where `dueAt` is the job's `timestamp + delay` in ms and `n` is the queue's
 * job counter (bull/lib/commands/addJob-6.lua; `moveToDelayedArgs` in
 * bull/lib/scripts.js does the same for a retry's backoff, with the job id in
 * place of the counter). The low 12 bits only keep jobs due in the same
 * millisecond in the order they were added, so the jobs due between two
 * times are those scored from `from * 0x1000` to `to * 0x1000 + 0xfff`.
 */
export const DELAYED_SCORE_FACTOR = 0x1000;

/**
 * How many delayed jobs fall due between two moments, both included: one
 * ZCOUNT on Bull's `delayed` set, which costs O(log n) whatever its size.
 *
 * @param client - a Redis connection
 * @param delayedKey - the queue's `delayed` key (`queue.toKey('delayed')`)
 * @param fromMs - the earliest due time, in ms since the epoch
 * @param toMs - the latest due time, in ms since the epoch
 * @returns the number of jobs
 */
export function countDelayedDueBetween(
  client: Redis,
  delayedKey: string,
  fromMs: number,
  toMs: number,
): Promise<number> {
  return client.zcount(
    delayedKey,
    fromMs * DELAYED_SCORE_FACTOR,
    toMs * DELAYED_SCORE_FACTOR + (DELAYED_SCORE_FACTOR - 1),
  );
}

/** What `INFO memory` says about Redis's memory. */
export interface RedisMemory {
  /** `used_memory`: the bytes Redis has allocated for its data. */
  usedBytes: number;
  /** `maxmemory`: the configured limit in bytes; 0 means no limit. */
  maxBytes: number;
}

/**
 * Reads Redis's memory use and limit with `INFO memory`.
 *
 * @param client - a Redis connection
 * @returns used and maximum bytes
 * @throws Error when Redis's answer lacks one of the two fields
 */
export async function readRedisMemory(client: Redis): Promise<RedisMemory> {
  return parseInfoMemory(await client.info('memory'));
}

/**
 * Reads `used_memory` and `maxmemory` from the text of `INFO memory`.
 *
 * @param info - the reply, `field:value` lines
 * @returns used and maximum bytes
 * @throws Error naming a field that is missing or not a number
 */
export function parseInfoMemory(info: string): RedisMemory {
  const field = (name: string): number => {
    const value = Number(new RegExp(`^${name}:(\\d+)\\r?$`, 'm').exec(info)?.[1]);
    if (!Number.isFinite(value)) throw new Error(`INFO memory has no numeric ${name}`);
    return value;
  };
  return { usedBytes: field('used_memory'), maxBytes: field('maxmemory') };
}

/**
 * Reads how many replicas are connected to the master, with `INFO replication`.
 *
 * @param client - a connection to the master
 * @returns `connected_slaves`
 * @throws Error when the answer has no such field
 */
export async function readConnectedReplicas(client: Redis): Promise<number> {
  const match = /^connected_slaves:(\d+)\r?$/m.exec(await client.info('replication'));
  if (!match) throw new Error('INFO replication has no connected_slaves');
  return Number(match[1]);
}
