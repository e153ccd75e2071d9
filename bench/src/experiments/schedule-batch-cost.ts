/**
 * Experiment: the service's own scheduler (expiration/src/queues/scheduler.ts)
 * on the local Redis, without NATS: orders scheduled one by one, 64 in flight
 * as the listener runs them (each a batch of one: one pipelined check, one
 * add), against `scheduleExpirations` with batches of several sizes (the same
 * two round trips per batch, the second an addBulk). It tells what the batch path saves per
 * order:created, in throughput and in this process's CPU.
 *
 *   node --import tsx bench/src/experiments/schedule-batch-cost.ts [orders]
 */
import Redis from 'ioredis';
import { createLogger } from '@grider-ms-tickets/common';
import { createExpirationQueue, type ExpirationRequest } from '../../../expiration/src/queues/expiration-queue';
import { ownCpuMs } from '../lib/cpu';
import { newOrderId } from '../lib/orders';
import { deletePrefix } from '../lib/redis-tools';
import { Space } from '../lib/space';

const ORDERS = Number(process.argv[2] ?? 20_000);
const IN_FLIGHT = 64;
const REDIS = { host: process.env.REDIS_HOST ?? '127.0.0.1', port: Number(process.env.REDIS_PORT ?? 6379) };

/** Schedules ORDERS new orders, `inFlight` calls at a time, each with `size` of them. */
async function run(label: string, size: number, inFlight: number): Promise<void> {
  const space = new Space(`schedule-batch-${size}`);
  const expirations = createExpirationQueue({
    redis: REDIS,
    prefix: space.prefix,
    publishAttempts: 50,
    backoffMs: 1_000,
    backoffMaxMs: 60_000,
    retentionSeconds: 86_400,
    logger: createLogger({ name: 'bench', level: 'silent' }),
  });
  try {
    await expirations.ping();
    const expiresAt = new Date(Date.now() + 3_600_000);
    const requests: ExpirationRequest[] = Array.from({ length: ORDERS }, () => ({ orderId: newOrderId(), expiresAt }));
    const cpu0 = ownCpuMs();
    const t0 = Date.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next < requests.length) {
          const batch = requests.slice(next, next + size);
          next += batch.length;
          const results = await expirations.scheduleExpirations(batch);
          if (results.some((r) => r.outcome !== 'scheduled')) throw new Error('an order was not scheduled');
        }
      }),
    );
    const ms = Date.now() - t0;
    const cpu = ownCpuMs() - cpu0;
    console.log(
      `${label.padEnd(28)}: ${String(Math.round((ORDERS * 1000) / ms)).padStart(6)} orders/s, ` +
        `${Math.round((cpu * 1000) / ORDERS)} us CPU per order`,
    );
  } finally {
    await expirations.close();
    await expirations.disconnect();
    const cleaner = new Redis(REDIS);
    await deletePrefix(cleaner, space.prefix);
    await cleaner.quit();
  }
}

async function main(): Promise<void> {
  for (let round = 0; round < 2; round++) {
    await run(`one by one, ${IN_FLIGHT} in flight`, 1, IN_FLIGHT);
    for (const size of [16, 64, 256]) await run(`batches of ${size}, 1 in flight`, size, 1);
    await run(`batches of 64, 4 in flight`, 64, 4);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
