/**
 * The raw Bull worker (b), run as a child process by the benchmark: Bull and
 * Redis alone, no NATS, as the ceiling of what a Bull-based expiration service
 * can do. It takes the service's lock settings and concurrency, and for each
 * job writes one line `{"o":orderId,"t":epochMs}` to stdout the moment the job
 * starts: that is when it "fires". Prints `{"msg":"ready"}` once it processes.
 */
import { z } from 'zod';
import { loadConfig } from '@grider-ms-tickets/common';
import { openRawQueue, rawQueueEnvShape } from './raw-queue';

const env = loadConfig(z.object(rawQueueEnvShape));
const queue = openRawQueue(env);

void queue.process(env.CONCURRENCY, async (job) => {
  // Pipes are written synchronously on Linux, so a line is out before a SIGKILL can land.
  process.stdout.write(`{"o":"${job.data.orderId}","t":${Date.now()}}\n`);
});

process.once('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});

void queue.isReady().then(() => process.stdout.write('{"msg":"ready"}\n'));
