import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Subjects, type JetStreamBus } from '@grider-ms-tickets/common';
import { resolveLaunch } from '../src/config';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import { benchLogger, connectBus, publishAll, publishRaw } from '../src/lib/nats-tools';
import { makeOrders, orderCancelledData, orderCreatedData, type BenchOrder } from '../src/lib/orders';
import { freePort } from '@grider-ms-tickets/common/testing';
import { queueSizes } from '../src/lib/redis-tools';
import { httpStatus } from '../src/lib/service-process';
import { Space } from '../src/lib/space';
import { sleepUntil, waitFor } from '../src/lib/wait';
import { untilQuiet } from './quiet';
import { pick, seededRandom } from './random';
import { NatsServer, RedisServer } from './servers';
import { ServiceSupervisor, type ServiceExit, type ServiceLogLine } from './service-supervisor';

/** Options of {@link runFaultScenario}. */
export interface FaultScenarioOptions {
  /** Orders in flight. @defaultValue 2000 */
  orders?: number;
  /** Seeds the choice of orders and the fault times. */
  seed: number;
  /**
   * How Redis and NATS are restarted: SIGTERM (a pod restart, the default) or
   * SIGKILL (a crash of the server process).
   */
  serverSignal?: 'SIGTERM' | 'SIGKILL';
  log?: (line: string) => void;
}

/** A malformed order:created the suite published, and the reason the service must log for it. */
export interface MalformedEvent {
  kind: 'bad JSON' | 'missing order id' | 'invalid date' | '1 MB payload';
  sequence: number;
  bytes: number;
  reason: RegExp;
}

/** One fault, as planned and as done. */
export interface InjectedFault {
  kind: 'SIGKILL service' | 'restart Redis' | 'restart NATS';
  /** Milliseconds after the orders were published. */
  plannedAtMs: number;
  atMs: number;
  /** Until the service answered /readyz again. */
  recoveredAfterMs: number;
}

/** Everything the suite's assertions look at. */
export interface FaultRun {
  seed: number;
  serverSignal: string;
  launch: string;
  /** Orders that must expire: every order but the cancelled ones. */
  expected: BenchOrder[];
  /** Orders cancelled before their expiry, some of them before their order:created arrived. */
  cancelled: BenchOrder[];
  duplicatedWhilePending: BenchOrder[];
  duplicatedAfterExpiry: BenchOrder[];
  malformed: MalformedEvent[];
  faults: InjectedFault[];
  /** expiration:complete as the orders service would receive them (JetStream, deduplicated by message id). */
  stored: ExpirationObserver['stored'];
  /** Every publish that reached NATS. */
  wire: ExpirationObserver['wire'];
  lines: ServiceLogLine[];
  exits: ServiceExit[];
  /** /readyz after the last fault, once everything had expired. */
  readyAtEnd: boolean;
  /** How the service exited on the final SIGTERM. */
  finalExit?: { code: number | null; signal: NodeJS.Signals | null };
  /** From the first publish until every expected order had expired. */
  allExpiredAfterMs: number | null;
  durationMs: number;
}

/** The window over which the orders expire, after the publish. */
const FIRST_EXPIRY_MS = 6_000;
const SPREAD_MS = 30_000;
/** How long each restarted server stays down. */
const OUTAGE_MS = 1_500;

/**
 * Starts a private Redis (AOF, as in the manifests) and NATS (JetStream), runs
 * the expiration service under a supervisor, puts `orders` orders in flight,
 * and injects: three SIGKILLs of the service at random moments, a Redis
 * restart, a NATS restart, duplicate events (while pending and after expiry),
 * and malformed events (bad JSON, a missing order id, an invalid date, 1 MB).
 * Then waits until everything that should expire has, and tears everything
 * down.
 *
 * @param options - size, seed and log
 * @returns what happened, for the assertions
 */
export async function runFaultScenario(options: FaultScenarioOptions): Promise<FaultRun> {
  const log = options.log ?? (() => undefined);
  const random = seededRandom(options.seed);
  const started = Date.now();
  const workDir = mkdtempSync(path.join(tmpdir(), 'expiration-faults-'));
  const space = new Space('faults');
  const cleanups: Array<() => Promise<unknown>> = [];
  try {
    const redisServer = await RedisServer.start(path.join(workDir, 'redis'));
    cleanups.unshift(() => redisServer.stop());
    const natsServer = await NatsServer.start(path.join(workDir, 'nats'));
    cleanups.unshift(() => natsServer.stop());
    log(
      `redis-server on ${redisServer.port} (AOF everysec, noeviction), nats-server on ${natsServer.port}; ${workDir}`,
    );

    const redis = new Redis({ host: '127.0.0.1', port: redisServer.port, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    cleanups.unshift(() => redis.quit().catch(() => redis.disconnect()));
    const bus = await connectBus(natsServer.url, space, benchLogger('faults', 'silent'));
    cleanups.unshift(() => bus.close());
    const observer = await ExpirationObserver.start(bus);
    cleanups.unshift(() => observer.close());

    const healthPort = await freePort();
    const launch = resolveLaunch('auto');
    const supervisor = new ServiceSupervisor({
      launch,
      healthPort,
      env: {
        EVENT_BUS: 'jetstream',
        NATS_URL: natsServer.url,
        NATS_STREAM: space.stream,
        NATS_SUBJECT_PREFIX: space.subjectPrefix,
        REDIS_HOST: '127.0.0.1',
        REDIS_PORT: String(redisServer.port),
        QUEUE_PREFIX: space.prefix,
        HEALTH_PORT: String(healthPort),
        LOG_LEVEL: 'info',
        // Retries during an outage come every 2 s at most instead of every
        // minute, so that the suite takes minutes, not hours; the logic is the same.
        EXPIRATION_BACKOFF_MS: '250',
        EXPIRATION_BACKOFF_MAX_MS: '2000',
      },
    });
    cleanups.unshift(async () => {
      await supervisor.stop();
    });
    await supervisor.start();
    log(`service (${launch}) ready`);

    const n = options.orders ?? 2_000;
    const t0 = Date.now() + 500;
    const faultPlan: Array<{ kind: InjectedFault['kind']; atMs: number }> = [
      { kind: 'SIGKILL service' as const, atMs: between(random, 4_000, 8_000) },
      { kind: 'restart Redis' as const, atMs: between(random, 10_000, 13_000) },
      { kind: 'SIGKILL service' as const, atMs: between(random, 17_000, 20_000) },
      { kind: 'restart NATS' as const, atMs: between(random, 23_000, 26_000) },
      { kind: 'SIGKILL service' as const, atMs: between(random, 30_000, 34_000) },
    ];
    // The orders. Cancelled ones expire late enough that their cancellation
    // always arrives first; duplicates are sent while pending and after expiry.
    // A tenth of them fall due together just before the second SIGKILL, so
    // that it lands with jobs in flight (stalled jobs must be picked up again).
    const cohort = Math.round(n / 10);
    const spread = n - cohort;
    const orders = [
      ...makeOrders(spread, (i) => t0 + FIRST_EXPIRY_MS + (i * SPREAD_MS) / spread),
      ...makeOrders(cohort, () => t0 + faultPlan[2].atMs - 30),
    ];
    const late = orders.filter((o) => o.expiresAt >= t0 + 20_000);
    const cancelledAfter = pick(late, Math.round(n / 40), random);
    const cancelledBefore = makeOrders(5, () => t0 + 15_000);
    const cancelledIds = new Set(cancelledAfter.map((o) => o.id));
    const expected = orders.filter((o) => !cancelledIds.has(o.id));
    const duplicatedWhilePending = pick(
      expected.filter((o) => o.expiresAt >= t0 + 10_000),
      Math.round(n / 20),
      random,
    );
    const pendingDupIds = new Set(duplicatedWhilePending.map((o) => o.id));
    const duplicatedAfterExpiry = pick(
      expected.filter((o) => !pendingDupIds.has(o.id) && o.expiresAt <= t0 + 25_000),
      Math.round(n / 40),
      random,
    );

    log(`seed ${options.seed}: ${faultPlan.map((f) => `${f.kind} at +${(f.atMs / 1000).toFixed(1)} s`).join(', ')}`);

    // Orders in flight: all order:created, then the cancellations (five of
    // them before their order:created).
    await sleepUntil(t0);
    const json = (data: unknown) => JSON.stringify(data);
    await publishAll(
      bus,
      Subjects.OrderCreated,
      orders.map((o) => json(orderCreatedData(o))),
    );
    await publishAll(
      bus,
      Subjects.OrderCancelled,
      [...cancelledAfter, ...cancelledBefore].map((o) => json(orderCancelledData(o))),
    );
    log(`${n} orders published in ${Date.now() - t0} ms`);

    const faults: InjectedFault[] = [];
    const injecting = (async () => {
      for (const planned of faultPlan) {
        await sleepUntil(t0 + planned.atMs);
        const at = Date.now();
        if (planned.kind === 'SIGKILL service') await supervisor.kill();
        if (planned.kind === 'restart Redis') await redisServer.restart(OUTAGE_MS, options.serverSignal);
        if (planned.kind === 'restart NATS') await natsServer.restart(OUTAGE_MS, options.serverSignal);
        await supervisor.waitReady(60_000);
        const fault = {
          kind: planned.kind,
          plannedAtMs: planned.atMs,
          atMs: at - t0,
          recoveredAfterMs: Date.now() - at,
        };
        faults.push(fault);
        log(`${fault.kind} at +${fault.atMs} ms; ready again after ${fault.recoveredAfterMs} ms`);
      }
    })();

    await sleepUntil(t0 + 2_000);
    await publishAll(
      bus,
      Subjects.OrderCreated,
      cancelledBefore.map((o) => json(orderCreatedData(o))),
    );
    const malformed = await publishMalformed(bus);
    await sleepUntil(t0 + 3_000);
    await publishAll(
      bus,
      Subjects.OrderCreated,
      duplicatedWhilePending.map((o) => json(orderCreatedData(o))),
    );

    await injecting;
    let allExpiredAfterMs: number | null = null;
    try {
      await waitFor(() => observer.stored.seenOf(expected) === expected.length, {
        timeoutMs: t0 + FIRST_EXPIRY_MS + SPREAD_MS + 120_000 - Date.now(),
        intervalMs: 100,
        what: 'every expected order to expire',
      });
      allExpiredAfterMs = Date.now() - t0;
      log(`all ${expected.length} expected orders expired by +${allExpiredAfterMs} ms`);
    } catch {
      log(`${expected.length - observer.stored.seenOf(expected)} expected orders never expired`);
    }

    // Late duplicates: their jobs are completed and kept, so they must be recognised.
    await publishAll(
      bus,
      Subjects.OrderCreated,
      duplicatedAfterExpiry.map((o) => json(orderCreatedData(o))),
    );
    const duplicateLogged = (id: string) =>
      supervisor.lines.some((l) => l.orderId === id && l.msg === 'order already has an expiration; duplicate ignored');
    await waitFor(() => duplicatedAfterExpiry.every((o) => duplicateLogged(o.id)), {
      timeoutMs: 30_000,
      intervalMs: 100,
      what: 'the late duplicates to be handled',
    }).catch(() => log('not every late duplicate was logged as a duplicate'));

    // Quiet: nothing queued, nothing new seen for 3 s, so that a wrong
    // expiration of a cancelled order or a late duplicate would be caught.
    await untilQuiet(
      () => Math.max(observer.stored.lastRecordAt, observer.wire.lastRecordAt),
      async () => {
        const s = await queueSizes(redis, (k) => space.key(k));
        return s.delayed + s.waiting + s.active === 0;
      },
    ).catch(() => log('the queue did not become idle'));

    const readyAtEnd = (await httpStatus(healthPort, '/readyz')) === 200;
    const finalExit = await supervisor.stop();
    return {
      seed: options.seed,
      serverSignal: options.serverSignal ?? 'SIGTERM',
      launch,
      expected,
      cancelled: [...cancelledAfter, ...cancelledBefore],
      duplicatedWhilePending,
      duplicatedAfterExpiry,
      malformed,
      faults,
      stored: observer.stored,
      wire: observer.wire,
      lines: supervisor.lines,
      exits: supervisor.exits,
      readyAtEnd,
      finalExit: finalExit && { code: finalExit.code, signal: finalExit.signal },
      allExpiredAfterMs,
      durationMs: Date.now() - started,
    };
  } finally {
    for (const cleanup of cleanups) {
      try {
        await cleanup();
      } catch (err) {
        log(`clean-up failed: ${(err as Error).message}`);
      }
    }
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** Publishes one order:created of each malformed kind, straight onto the wire. */
async function publishMalformed(bus: JetStreamBus): Promise<MalformedEvent[]> {
  const [order] = makeOrders(1, () => Date.now() + 60_000);
  const valid = orderCreatedData(order);
  const { id: _id, ...withoutId } = valid;
  const cases: Array<Omit<MalformedEvent, 'sequence' | 'bytes'> & { payload: string }> = [
    { kind: 'bad JSON', payload: '{"id":"5f1e","expiresAt":', reason: /^payload is not JSON/ },
    { kind: 'missing order id', payload: JSON.stringify(withoutId), reason: /(^|; )id: / },
    {
      kind: 'invalid date',
      payload: JSON.stringify({ ...valid, id: `${valid.id.slice(0, -4)}dead`, expiresAt: 'next tuesday' }),
      reason: /expiresAt: must be an ISO 8601 date-time/,
    },
    {
      kind: '1 MB payload',
      payload: JSON.stringify({ ...valid, id: `${valid.id.slice(0, -4)}beef`, padding: 'x'.repeat(1024 * 1024) }),
      reason: /over the limit of 262144/,
    },
  ];
  const published: MalformedEvent[] = [];
  for (const { payload, ...c } of cases) {
    published.push({
      ...c,
      sequence: await publishRaw(bus, Subjects.OrderCreated, payload),
      bytes: Buffer.byteLength(payload),
    });
  }
  return published;
}

function between(random: () => number, fromMs: number, toMs: number): number {
  return Math.round(fromMs + random() * (toMs - fromMs));
}
