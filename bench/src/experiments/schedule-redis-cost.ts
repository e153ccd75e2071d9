/**
 * Experiment: only the Redis work the service does per order:created (ZSCORE
 * of the cancellations, getJob, add with jobId and the service's job options),
 * 64 orders in flight as the listener has, without NATS. Run with and without
 * ioredis auto-pipelining. It tells how much of the service's ingest cost is
 * this part, and what it alone allows.
 *
 *   node --import tsx bench/src/experiments/schedule-redis-cost.ts [orders]
 */
import Bull, { type QueueOptions } from 'bull';
import Redis from 'ioredis';
import { expirationJobId } from '../../../expiration/src/queues/expiration-job-id';
import { ownCpuMs } from '../lib/cpu';
import { newOrderId } from '../lib/orders';
import { deletePrefix } from '../lib/redis-tools';
import { Space, QUEUE_NAME } from '../lib/space';

const EVENTS = Number(process.argv[2] ?? 20_000);
const IN_FLIGHT = 64;

async function run(autoPipelining: boolean): Promise<void> {
  const space = new Space(`autopipe-${autoPipelining}`);
  const client = new Redis({ enableAutoPipelining: autoPipelining });
  const createClient: QueueOptions['createClient'] = (type) =>
    type === 'client' ? client : new Redis({ maxRetriesPerRequest: null, enableReadyCheck: false });
  const queue = new Bull<{ orderId: string }>(QUEUE_NAME, { prefix: space.prefix, createClient });
  await queue.isReady();
  const cancelled = queue.toKey('cancelled');
  const due = Date.now() + 3_600_000;
  const ids = Array.from({ length: EVENTS }, () => newOrderId());
  const cpu0 = ownCpuMs();
  const t0 = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < ids.length) {
        const orderId = ids[next++];
        if ((await client.zscore(cancelled, orderId)) !== null) continue;
        const jobId = expirationJobId(orderId);
        if (await queue.getJob(jobId)) continue;
        const now = Date.now();
        await queue.add({ orderId }, { jobId, delay: due - now, attempts: 50, removeOnComplete: { age: 86_400 } });
      }
    }),
  );
  const ms = Date.now() - t0;
  const cpu = ownCpuMs() - cpu0;
  console.log(
    `autoPipelining ${String(autoPipelining).padEnd(5)}: ${Math.round((EVENTS * 1000) / ms)} orders/s, ` +
      `${Math.round((cpu * 1000) / EVENTS)} us CPU per order`,
  );
  await queue.close();
  const cleaner = new Redis();
  await deletePrefix(cleaner, space.prefix);
  await cleaner.quit();
}

async function main(): Promise<void> {
  for (const auto of [false, true, false, true]) await run(auto);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
