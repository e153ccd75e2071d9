/**
 * The raw Bull worker (b), run as a child process by the benchmark: Bull and
 * Redis alone, no NATS, as the ceiling of what a Bull-based expiration service
 * can do. It takes the service's lock settings and concurrency, and for each
 * job writes one line `{"o":orderId,"t":epochMs}` to stdout the moment the job
 * starts: that is when it "fires". Prints `{"msg":"ready"}` once it processes.
 */
import Queue from 'bull';
import { z } from 'zod';
import { envInt, envPort, envString, loadConfig } from '@grider-ms-tickets/common';

const env = loadConfig(
  z.object({
    REDIS_HOST: envString(),
    REDIS_PORT: envPort(6379),
    QUEUE_PREFIX: envString(),
    CONCURRENCY: envInt({ min: 1, default: 50 }),
    /** Bull's lock settings; the defaults are the service's. Set them to see what other values would do. */
    LOCK_DURATION_MS: envInt({ min: 1, default: 5_000 }),
    STALLED_INTERVAL_MS: envInt({ min: 1, default: 5_000 }),
  }),
);

// The expiration service's lock settings by default (expiration/src/queues/expiration-queue.ts),
// copied rather than imported: the benchmark does not depend on a service's internals.
const queue = new Queue<{ orderId: string }>('order:expiration', {
  prefix: env.QUEUE_PREFIX,
  redis: { host: env.REDIS_HOST, port: env.REDIS_PORT },
  settings: { lockDuration: env.LOCK_DURATION_MS, stalledInterval: env.STALLED_INTERVAL_MS, maxStalledCount: 5 },
});

void queue.process(env.CONCURRENCY, async (job) => {
  // Pipes are written synchronously on Linux, so a line is out before a SIGKILL can land.
  process.stdout.write(`{"o":"${job.data.orderId}","t":${Date.now()}}\n`);
});

process.once('SIGTERM', () => {
  void queue.close().then(() => process.exit(0));
});

void queue.isReady().then(() => process.stdout.write('{"msg":"ready"}\n'));
