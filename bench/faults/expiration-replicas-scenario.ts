import Redis from 'ioredis';
import { Subjects } from '@grider-ms-tickets/common';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import type { FiringLog } from '../src/lib/firing-log';
import { publishAll } from '../src/lib/nats-tools';
import { makeOrders, orderCancelledData, orderCreatedData, type BenchOrder } from '../src/lib/orders';
import { httpStatus } from '../src/lib/service-process';
import { sleepUntil, waitFor } from '../src/lib/wait';
import { FaultStack } from './fault-stack';
import { waitQueueQuiet } from './queue-quiet';
import { pick } from './random';
import { goOnAfterTimeout } from './scenario-verdict';
import { duplicateWindowMs } from './stream-messages';

/** Expiration processes on the one Redis and the one stream. */
export const REPLICAS = 3;
/** Orders put in flight; a tenth of them are cancelled before they fall due. */
export const ORDERS = 2_000;
const CANCELLED = ORDERS / 10;
/** The orders fall due from FIRST_DUE_MS after the publish, over SPREAD_MS. */
const FIRST_DUE_MS = 5_000;
const SPREAD_MS = 10_000;
/**
 * Orders that fall due together half-way through. The kill comes once the
 * victim has published some of them, so that it lands in the middle of its
 * share (each replica runs up to EXPIRATION_CONCURRENCY, 50, jobs at once),
 * with jobs at every step: taken, checked, published and not yet completed.
 */
const COHORT = 300;
const VICTIM_COHORT_PUBLISHED_BEFORE_KILL = 20;
/** An expiration:complete that reaches the stream more than this after its expiresAt counts as late. */
export const LATE_MS = 1_000;

/** What the survivors log for each job the victim held when it died (expiration/src/queues/expiration-queue.ts). */
const STALLED_MESSAGE = 'job stalled (its worker died or hung); retrying it';
/** What a replica logs at debug level once NATS acknowledged an expiration (expiration-processor.ts). */
const PUBLISHED_MESSAGE = 'expiration:complete published';

const note = goOnAfterTimeout('expiration-replicas');

/** Everything the expiration-replicas checks look at. */
export interface ExpirationReplicasRun {
  /** Orders that must expire: all but the cancelled ones. */
  expected: BenchOrder[];
  /** Orders cancelled after their order:created and before their expiresAt. */
  cancelled: BenchOrder[];
  /** The replica SIGKILLed, and when (epoch ms). */
  victim: { name: string; killedAt: number };
  /** The survivors' names. */
  survivors: string[];
  /** expiration:complete as a durable consumer of the stream received them (after JetStream's dedupe). */
  stored: FiringLog;
  /** Every publish of expiration:complete that reached NATS, the ones the stream then dropped included. */
  wire: FiringLog;
  /** The stream's duplicate_window, in ms. */
  duplicateWindowMs: number;
  /** Orders whose job a survivor found stalled (the victim held it when it died). */
  stalled: string[];
  /** From the publish of the orders until every expected one had expired; null if some never did. */
  allExpiredAfterMs: number | null;
  /** Replicas that exited without being asked to. */
  crashed: string[];
  /** /readyz of every survivor at the end. */
  survivorsReadyAtEnd: boolean;
}

/**
 * Runs three expiration replicas (child processes) on a redis-server and a
 * nats-server of the scenario's own, all three on the same Bull queue and the
 * same durable consumers, as pods of one Deployment. Publishes 2,000
 * order:created falling due over 10 s, a tenth of them cancelled before they
 * fall due, with 300 of them due at the same moment half-way. Once the first of
 * those are published, one replica is SIGKILLed, with its jobs in flight, and is
 * not restarted: the two survivors must pick up its stalled jobs. Waits until
 * every expected order has expired, then until nothing has happened for 3 s
 * with the queue empty.
 *
 * @returns what happened, for the assertions
 */
export async function runExpirationReplicasScenario(): Promise<ExpirationReplicasRun> {
  const stack = await FaultStack.start('replicas');
  try {
    const { bus, space } = stack;
    const redis = new Redis({ host: '127.0.0.1', port: stack.redis.port, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    stack.defer(() => redis.quit().catch(() => redis.disconnect()));
    const observer = await ExpirationObserver.start(bus);
    stack.defer(() => observer.close());
    // Debug: each replica logs every expiration it published, which tells when the victim is mid-cohort.
    const replicas = await Promise.all(
      Array.from({ length: REPLICAS }, () => stack.startExpiration({ LOG_LEVEL: 'debug' })),
    );

    const t0 = Date.now() + 200;
    const spread = ORDERS - COHORT;
    const orders = [
      ...makeOrders(spread, (i) => t0 + FIRST_DUE_MS + (i * SPREAD_MS) / spread),
      ...makeOrders(COHORT, () => t0 + FIRST_DUE_MS + SPREAD_MS / 2),
    ];
    const cohort = orders.slice(spread);
    // Cancelled at least a second after the publish, so the cancellation always comes first.
    const cancelled = pick(
      orders.filter((o) => o.expiresAt >= t0 + FIRST_DUE_MS + 1_000),
      CANCELLED,
      Math.random,
    );
    const cancelledIds = new Set(cancelled.map((o) => o.id));
    const expected = orders.filter((o) => !cancelledIds.has(o.id));

    await sleepUntil(t0);
    await publishAll(
      bus,
      Subjects.OrderCreated,
      orders.map((o) => JSON.stringify(orderCreatedData(o))),
    );
    await publishAll(
      bus,
      Subjects.OrderCancelled,
      cancelled.map((o) => JSON.stringify(orderCancelledData(o))),
    );

    const victim = replicas[1];
    const survivors = replicas.filter((r) => r !== victim);
    const cohortIds = new Set(cohort.map((o) => o.id));
    await waitFor(
      () =>
        victim.logged(PUBLISHED_MESSAGE).filter((l) => cohortIds.has(String(l.orderId))).length >=
        VICTIM_COHORT_PUBLISHED_BEFORE_KILL,
      {
        timeoutMs: t0 + FIRST_DUE_MS + SPREAD_MS + 60_000 - Date.now(),
        intervalMs: 1,
        what: `${victim.name} to be publishing the cohort`,
      },
    ).catch(note);
    await victim.kill();
    const killedAt = Date.now();

    let allExpiredAfterMs: number | null = null;
    await waitFor(() => observer.stored.seenOf(expected) === expected.length, {
      timeoutMs: t0 + FIRST_DUE_MS + SPREAD_MS + 60_000 - Date.now(),
      intervalMs: 100,
      what: 'every expected order to expire',
    }).then(() => {
      allExpiredAfterMs = Date.now() - t0;
    }, note);
    await waitQueueQuiet(redis, space, observer).catch(note);

    return {
      expected,
      cancelled,
      victim: { name: victim.name, killedAt },
      survivors: survivors.map((s) => s.name),
      stored: observer.stored,
      wire: observer.wire,
      duplicateWindowMs: await duplicateWindowMs(bus),
      stalled: survivors.flatMap((s) => s.logged(STALLED_MESSAGE).map((l) => String(l.orderId))),
      allExpiredAfterMs,
      crashed: stack.crashed.map((p) => p.name),
      survivorsReadyAtEnd: (await Promise.all(survivors.map((s) => httpStatus(s.healthPort, '/readyz')))).every(
        (status) => status === 200,
      ),
    };
  } finally {
    await stack.close();
  }
}
