import Redis from 'ioredis';
import { Subjects, listDeadLetters } from '@grider-ms-tickets/common';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import type { FiringLog } from '../src/lib/firing-log';
import { makeOrders, orderCancelledData, orderCreatedData, type BenchOrder } from '../src/lib/orders';
import { queueSizes } from '../src/lib/redis-tools';
import { httpStatus } from '../src/lib/service-process';
import { waitFor } from '../src/lib/wait';
import { untilQuiet } from './quiet';
import { FaultStack } from './fault-stack';
import { goOnAfterTimeout } from './scenario-verdict';

/** The names Bull 4 gives its own keys under a queue's key, used here as order ids. */
export const BULL_KEY_NAMES = [
  'wait',
  'active',
  'delayed',
  'completed',
  'failed',
  'paused',
  'meta',
  'id',
  'priority',
  'stalled-check',
  'limiter',
  'events',
  'repeat',
] as const;

/** What a Bull key of the queue held at the end. */
export interface BullKey {
  /** Redis's TYPE: `none` when Bull has not made it. */
  type: string;
  /** True when it is a hash with a job's `data` field: a job took the place of Bull's key. */
  holdsJob: boolean;
}

/** Everything the hostile-ids checks look at. */
export interface HostileIdsRun {
  ordinary: BenchOrder[];
  /** Hostile orders never cancelled: each must fire once. */
  firing: BenchOrder[];
  /** Hostile orders cancelled before their order:created arrived. */
  cancelledBefore: BenchOrder[];
  /** Hostile orders cancelled after their order:created, before they were due. */
  cancelledAfter: BenchOrder[];
  /** An ordinary order sent once every hostile one had been handled: the queue still works. */
  afterwards: BenchOrder;
  /** expiration:complete as a downstream consumer got them. */
  stored: FiringLog;
  /** Every publish of expiration:complete that reached NATS. */
  wire: FiringLog;
  /** Every line (log, stdout, stderr) that mentions WRONGTYPE. */
  wrongType: string[];
  /** Each of {@link BULL_KEY_NAMES} under the queue's key, at the end. */
  bullKeys: Record<string, BullKey>;
  deadLetters: number;
  readyAtEnd: boolean;
  crashed: string[];
}

const note = goOnAfterTimeout('hostile-ids');

/** When the ordinary orders fall due after the publish, and the hostile ones among them. */
const ORDINARY_FROM_MS = 4_000;
const ORDINARY_SPREAD_MS = 4_000;
const HOSTILE_DUE_MS = 6_000;
const ORDINARY_COUNT = 100;

/**
 * Runs the expiration service (child process, its own Redis and JetStream)
 * and sends it `order:created` and `order:cancelled` events whose order ids
 * are Bull's key names, among ordinary orders: a third of them are cancelled
 * before their `order:created`, a third after it, and every hostile
 * `order:created` is sent twice. Waits until every order that should expire
 * has, sends one more ordinary order, then waits until the queue is idle and
 * nothing new has fired for 3 s, so that a late or second firing is caught.
 *
 * @returns what happened, for the assertions
 */
export async function runHostileIdsScenario(): Promise<HostileIdsRun> {
  const stack = await FaultStack.start('hostile-ids');
  try {
    const { bus, space } = stack;
    const observer = await ExpirationObserver.start(bus);
    stack.defer(() => observer.close());
    const redis = new Redis({ host: '127.0.0.1', port: stack.redis.port, maxRetriesPerRequest: 1 });
    stack.defer(() => redis.quit());
    const expiration = await stack.startExpiration();

    const t0 = Date.now();
    const ordinary = makeOrders(
      ORDINARY_COUNT,
      (i) => t0 + ORDINARY_FROM_MS + (i * ORDINARY_SPREAD_MS) / ORDINARY_COUNT,
    );
    const hostile = BULL_KEY_NAMES.map((id) => ({ id, expiresAt: t0 + HOSTILE_DUE_MS }));
    const firing = hostile.filter((_, i) => i % 3 === 0);
    const cancelledAfter = hostile.filter((_, i) => i % 3 === 1);
    const cancelledBefore = hostile.filter((_, i) => i % 3 === 2);

    const publish = (subject: Subjects, data: unknown) => bus.publish(subject, JSON.stringify(data));
    for (const o of cancelledBefore) await publish(Subjects.OrderCancelled, orderCancelledData(o));
    // Each hostile order among a slice of ordinary ones, sent twice (a redelivery or a copy).
    const slice = Math.ceil(ordinary.length / hostile.length);
    for (const [i, o] of hostile.entries()) {
      for (const plain of ordinary.slice(i * slice, (i + 1) * slice)) {
        await publish(Subjects.OrderCreated, orderCreatedData(plain));
      }
      await publish(Subjects.OrderCreated, orderCreatedData(o));
      await publish(Subjects.OrderCreated, orderCreatedData(o));
    }
    for (const o of cancelledAfter) await publish(Subjects.OrderCancelled, orderCancelledData(o));

    const due = [...ordinary, ...firing];
    await waitFor(() => observer.stored.seenOf(due) === due.length, {
      timeoutMs: 90_000,
      intervalMs: 100,
      what: 'every ordinary and uncancelled hostile order to expire',
    }).catch(note);
    const [afterwards] = makeOrders(1, () => Date.now() + 1_000);
    await publish(Subjects.OrderCreated, orderCreatedData(afterwards));
    await waitFor(() => observer.stored.count(afterwards.id) > 0, {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: 'the order sent afterwards to expire',
    }).catch(note);
    await untilQuiet(
      () => Math.max(observer.stored.lastRecordAt, observer.wire.lastRecordAt),
      async () => {
        const s = await queueSizes(redis, (k) => space.key(k));
        return s.delayed + s.waiting + s.active === 0;
      },
    ).catch(note);

    const bullKeys: Record<string, BullKey> = {};
    for (const name of BULL_KEY_NAMES) {
      const key = space.key(name);
      const type = await redis.type(key);
      bullKeys[name] = { type, holdsJob: type === 'hash' && (await redis.hexists(key, 'data')) === 1 };
    }
    const texts = [...expiration.lines.map((l) => JSON.stringify(l)), ...expiration.rawLines, expiration.stderr];
    return {
      ordinary,
      firing,
      cancelledBefore,
      cancelledAfter,
      afterwards,
      stored: observer.stored,
      wire: observer.wire,
      wrongType: texts.filter((t) => t.includes('WRONGTYPE')),
      bullKeys,
      deadLetters: (await listDeadLetters(bus)).length,
      readyAtEnd: (await httpStatus(expiration.healthPort, '/readyz')) === 200,
      crashed: stack.crashed.map((p) => p.name),
    };
  } finally {
    await stack.close();
  }
}
