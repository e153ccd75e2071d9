import type Redis from 'ioredis';

/**
 * Deletes every key under a Bull prefix with SCAN and UNLINK. Never FLUSHALL:
 * the server is shared.
 *
 * @param redis - a connection
 * @param prefix - the prefix, without the trailing colon
 * @returns how many keys were deleted
 */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  for await (const keys of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  }
  return deleted;
}

/** What a prefix holds in Redis. */
export interface PrefixMemory {
  keys: number;
  /** The sum of MEMORY USAGE (exact: SAMPLES 0) over the keys. */
  bytes: number;
}

/**
 * Measures the memory of every key under a prefix, key by key, so that other
 * tenants of a shared server don't blur it as they would `used_memory`.
 *
 * @param redis - a connection
 * @param prefix - the prefix, without the trailing colon
 */
export async function prefixMemory(redis: Redis, prefix: string): Promise<PrefixMemory> {
  let keys = 0;
  let bytes = 0;
  for await (const batch of redis.scanStream({ match: `${prefix}:*`, count: 1000 }) as AsyncIterable<string[]>) {
    if (batch.length === 0) continue;
    const pipeline = redis.pipeline();
    for (const key of batch) pipeline.call('MEMORY', 'USAGE', key, 'SAMPLES', '0');
    for (const [err, usage] of (await pipeline.exec()) ?? []) {
      if (err) throw err;
      // A key deleted between SCAN and MEMORY USAGE answers nil.
      if (typeof usage === 'number') {
        keys++;
        bytes += usage;
      }
    }
  }
  return { keys, bytes };
}

/** How Redis stores one job hash; see {@link sampleJobHash}. */
export interface JobHashSample {
  /** `listpack` (compact) or `hashtable`. */
  encoding: string;
  fields: number;
  /** The longest field value: over `hash-max-listpack-value` (64 by default) a hash is a hashtable. */
  longestValueBytes: number;
  longestField: string;
}

/**
 * Looks at one job hash under a prefix: its encoding explains most of a job's size.
 *
 * @param redis - a connection
 * @param prefix - the prefix, without the trailing colon
 * @returns the sample, or undefined when there is no hash
 */
export async function sampleJobHash(redis: Redis, prefix: string): Promise<JobHashSample | undefined> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000, 'TYPE', 'hash');
    cursor = next;
    const key = keys.find((k) => !k.endsWith(':meta'));
    if (key) {
      const encoding = String(await redis.object('ENCODING', key));
      const hash = await redis.hgetall(key);
      let longestField = '';
      for (const [field, value] of Object.entries(hash)) {
        if (Buffer.byteLength(value) > Buffer.byteLength(hash[longestField] ?? '')) longestField = field;
      }
      return {
        encoding,
        fields: Object.keys(hash).length,
        longestValueBytes: Buffer.byteLength(hash[longestField] ?? ''),
        longestField,
      };
    }
  } while (cursor !== '0');
  return undefined;
}

/**
 * @param redis - a connection
 * @returns INFO memory's used_memory, in bytes
 */
export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  const match = /^used_memory:(\d+)/m.exec(info);
  if (!match) throw new Error('INFO memory has no used_memory');
  return Number(match[1]);
}

/** The sizes of a Bull queue's states, read straight from its keys. */
export interface QueueSizes {
  delayed: number;
  waiting: number;
  active: number;
  completed: number;
  failed: number;
}

/**
 * Reads the state sizes of a Bull queue in one round trip.
 *
 * @param redis - a connection
 * @param keyOf - the key of a queue state, such as `Space#key`
 */
export async function queueSizes(redis: Redis, keyOf: (name: string) => string): Promise<QueueSizes> {
  const results = await redis
    .multi()
    .zcard(keyOf('delayed'))
    .llen(keyOf('wait'))
    .llen(keyOf('active'))
    .zcard(keyOf('completed'))
    .zcard(keyOf('failed'))
    .exec();
  const [delayed, waiting, active, completed, failed] = (results ?? []).map(([err, n]) => {
    if (err) throw err;
    return Number(n);
  });
  return { delayed, waiting, active, completed, failed };
}
