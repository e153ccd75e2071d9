import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import type { JetStreamBus } from '@grider-ms-tickets/common';
import { deleteStream } from './event-watch';

/** Names that keep one run apart from every other on the same Redis and NATS. */
export interface IsolatedNames {
  /** Such as `demo-mi3k2x9a-4f1c`. */
  runId: string;
  /** The JetStream stream. */
  stream: string;
  /**
   * Put in front of every subject. Needed along with the stream: two streams
   * may not hold the same subjects, and `ticketing` already holds the plain ones.
   */
  subjectPrefix: string;
  /** Bull's key prefix. */
  queuePrefix: string;
}

/**
 * @param tag - what the run is, such as `demo` or `e2e`
 * @returns fresh names
 */
export function isolatedNames(tag: string): IsolatedNames {
  const runId = `${tag}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  return { runId, stream: runId, subjectPrefix: `${runId}.`, queuePrefix: runId };
}

/**
 * Deletes what a run left behind: its stream (with the services' durables) and
 * its Bull keys. Best effort: a failure is returned, not thrown.
 *
 * @param bus - connected to the run's stream
 * @param redis - the run's Redis
 * @param names - the run's names
 * @returns what could not be deleted, if anything
 */
export async function removeIsolated(
  bus: JetStreamBus,
  redis: { host: string; port: number; password?: string },
  names: IsolatedNames,
): Promise<string[]> {
  const problems: string[] = [];
  if (!(await deleteStream(bus, names.stream))) problems.push(`the stream ${names.stream}`);
  const client = new Redis({ ...redis, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${names.queuePrefix}:*`, 'COUNT', 500);
      if (keys.length > 0) await client.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch (err) {
    problems.push(`the Redis keys ${names.queuePrefix}:* (${(err as Error).message})`);
  } finally {
    client.disconnect();
  }
  return problems;
}
