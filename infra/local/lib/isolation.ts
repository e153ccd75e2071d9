import { randomBytes } from 'node:crypto';
import { JetStreamApiCodes, JetStreamApiError, jetstreamManager } from '@nats-io/jetstream';
import Redis from 'ioredis';
import { connect } from '@nats-io/transport-node';

/**
 * Names that keep one run apart from every other on the same Redis and NATS.
 * The subject prefix is needed along with the stream: two streams may not hold
 * the same subjects, and `ticketing` already holds the plain ones.
 */
export interface IsolatedNames {
  stream: string;
  subjectPrefix: string;
  queuePrefix: string;
}

/** Fresh names for a run, such as `demo-mi3k2x9a-4f1c` for the tag `demo`. */
export function isolatedNames(tag: string): IsolatedNames {
  const runId = `${tag}-${Date.now().toString(36)}-${randomBytes(2).toString('hex')}`;
  return { stream: runId, subjectPrefix: `${runId}.`, queuePrefix: runId };
}

/**
 * Deletes what a run left behind: its stream (with the services' durables) and
 * its Bull keys. Best effort: it returns what could not be deleted.
 */
export async function removeIsolated(
  natsUrl: string,
  redis: { host: string; port: number; password?: string },
  names: IsolatedNames,
): Promise<string[]> {
  const problems: string[] = [];
  try {
    const nats = await connect({ servers: natsUrl, name: 'local-cleanup' });
    await (await jetstreamManager(nats)).streams.delete(names.stream).finally(() => nats.close());
  } catch (err) {
    const gone = err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
    if (!gone) problems.push(`the stream ${names.stream} (${(err as Error).message})`);
  }
  const client = new Redis({ ...redis, lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on('error', () => undefined); // the failure is returned
  try {
    for await (const keys of client.scanStream({ match: `${names.queuePrefix}:*`, count: 500 }) as AsyncIterable<
      string[]
    >) {
      if (keys.length > 0) await client.del(...keys);
    }
  } catch (err) {
    problems.push(`the Redis keys ${names.queuePrefix}:* (${(err as Error).message})`);
  } finally {
    client.disconnect();
  }
  return problems;
}
