import path from 'node:path';
import { Subjects, listDeadLetters, type JetStreamBus } from '@grider-ms-tickets/common';
import { expirationJobId } from '../../expiration/src/queues/expiration-job-id';
import { ExpirationObserver } from '../src/lib/expiration-observer';
import { makeOrders, orderCreatedData, type BenchOrder } from '../src/lib/orders';
import { httpStatus } from '../src/lib/service-process';
import { sleepUntil, waitFor } from '../src/lib/wait';
import { FaultStack } from './fault-stack';
import { RedisSentinelTopology } from './redis-sentinel';
import { goOnAfterTimeout } from './scenario-verdict';

/** How often a burst of order:created is published, and how many per burst: 500 a second. */
const TICK_MS = 20;
const PER_TICK = 10;
/** When the master is SIGKILLed, after the first publish. */
const KILL_AT_MS = 3_000;
/** How long order:created keeps coming: well past the failover. */
const PUBLISHING_MS = 8_000;
/**
 * Each order falls due this long after its publish: after the failover and
 * the redeliveries, so that every job is stored (or lost) before the first
 * one fires, and the run ends with each order's expiration:complete.
 */
const DUE_IN_MS = 20_000;

/** What the expiration service logs for each batch it gives back (order-created-listener.ts). */
const BATCH_FAILED_MESSAGE = 'scheduling a batch of expirations failed; its orders will be redelivered';

/** One run of the scenario, with one REDIS_WAIT_REPLICAS. */
export interface SentinelRun {
  waitReplicas: number;
  published: number;
  /** Every order:created was acked (or dead-lettered) by the end: the stream redelivers none. */
  allAcked: boolean;
  /** Acked orders with no job in the master the sentinels promoted: acknowledged, then lost. */
  lost: string[];
  /** Orders that were not lost but whose expiration:complete never came. */
  neverFired: string[];
  deadLetters: number;
  /** From the SIGKILL of the master until the sentinels named the replica instead. */
  failoverMs: number;
  /** From the SIGKILL until the old master, restarted, was a replica in sync. */
  replicaBackMs: number;
  /** Batches the service gave back, the orders in them, and how many failed with each error. */
  redelivered: { batches: number; orders: number; errors: Record<string, number> };
  /** The service's warn and error lines, counted by message and error: what to read when a run goes wrong. */
  problems: Record<string, number>;
  /** `expiration_redis_wait_shortfalls_total` for order:created at the end. */
  shortfalls: number;
  /** The service ran throughout: one process, never restarted. */
  crashed: string[];
  started: number;
  readyAtEnd: boolean;
  /** How it exited on SIGTERM at the end: 0 when the shutdown closed every connection, sentinels' included. */
  stoppedExit?: { code: number | null; signal: NodeJS.Signals | null };
}

/**
 * The expiration service (a child process) on Redis with Sentinel (a master,
 * a replica, three sentinels: `RedisSentinelTopology`), given
 * `REDIS_SENTINELS` and the `REDIS_WAIT_REPLICAS` of the run. order:created
 * comes 500 a second for 8 s; 3 s in, the master is SIGKILLed; once the
 * sentinels have promoted the replica, the old master is started again and
 * becomes the new one's replica. When the stream has nothing left to
 * deliver, every order's job is looked for in the new master: an order whose
 * order:created was acked but whose job is not there was acknowledged, then
 * lost in the failover. Then the orders fall due (20 s after their publish),
 * and each one that was not lost must be published on expiration:complete.
 *
 * @param waitReplicas - REDIS_WAIT_REPLICAS
 * @returns what happened, for the checks
 */
export async function runRedisSentinelScenario(waitReplicas: number): Promise<SentinelRun> {
  const tag = `redis-sentinel-wait${waitReplicas}`;
  const note = goOnAfterTimeout(tag);
  const stack = await FaultStack.start(tag);
  try {
    const topology = await RedisSentinelTopology.start(path.join(stack.workDir, 'sentinel'));
    stack.defer(() => topology.stop());
    const expirations = await ExpirationObserver.start(stack.bus);
    stack.defer(() => expirations.close());
    const expiration = await stack.startExpiration(
      {
        REDIS_WAIT_REPLICAS: String(waitReplicas),
        REDIS_WAIT_TIMEOUT_MS: '500',
        // The failover and the old master's return take seconds, with the
        // listener's backoff between deliveries: room for all of them.
        EVENT_MAX_DELIVERIES: '30',
      },
      topology.serviceEnv,
    );

    const orders: BenchOrder[] = [];
    const t0 = Date.now();
    const failover = { killedAt: 0, promotedAt: 0, replicaBackAt: 0 };
    const killMaster = async () => {
      await sleepUntil(t0 + KILL_AT_MS);
      failover.killedAt = Date.now();
      const oldPort = await topology.killMaster();
      await topology.waitFailover(oldPort);
      failover.promotedAt = Date.now();
      await topology.restartAsReplica(oldPort);
      failover.replicaBackAt = Date.now();
    };
    const publish = async () => {
      for (let tick = 0; Date.now() < t0 + PUBLISHING_MS; tick++) {
        const burst = makeOrders(PER_TICK, () => Date.now() + DUE_IN_MS);
        orders.push(...burst);
        await Promise.all(
          burst.map((o) => stack.bus.publish(Subjects.OrderCreated, JSON.stringify(orderCreatedData(o)))),
        );
        await sleepUntil(t0 + (tick + 1) * TICK_MS);
      }
    };
    await Promise.all([killMaster(), publish()]);

    const allAcked = await waitFor(() => nothingLeftToDeliver(stack.bus, stack.space.stream), {
      timeoutMs: 120_000,
      intervalMs: 250,
      what: 'every order:created to be acked',
    }).then(
      () => true,
      (err: Error) => {
        note(err);
        return false;
      },
    );

    const master = await topology.connectMaster();
    let lost: string[];
    try {
      const pipeline = master.pipeline();
      for (const o of orders) pipeline.exists(stack.space.key(expirationJobId(o.id)));
      const found = (await pipeline.exec()) ?? [];
      lost = orders.filter((_, i) => found[i]?.[1] !== 1).map((o) => o.id);
    } finally {
      master.disconnect();
    }
    const kept = orders.filter((o) => !lost.includes(o.id));
    await waitFor(() => kept.every((o) => expirations.stored.count(o.id) > 0), {
      timeoutMs: DUE_IN_MS + 60_000,
      intervalMs: 250,
      what: 'the expiration:complete of every order that was not lost',
    }).catch(note);
    const failed = expiration.logged(BATCH_FAILED_MESSAGE);
    return {
      waitReplicas,
      published: orders.length,
      allAcked,
      lost,
      neverFired: kept.filter((o) => expirations.stored.count(o.id) === 0).map((o) => o.id),
      deadLetters: (await listDeadLetters(stack.bus)).length,
      failoverMs: failover.promotedAt - failover.killedAt,
      replicaBackMs: failover.replicaBackAt - failover.killedAt,
      redelivered: {
        batches: failed.length,
        orders: failed.reduce((sum, line) => sum + ((line.orderIds as unknown[] | undefined)?.length ?? 0), 0),
        errors: countBy(failed.map((line) => String(line.err))),
      },
      problems: countBy(
        expiration.lines
          .filter((line) => line.level === 'warn' || line.level === 'error')
          .map((line) => `${line.msg}: ${errorText(line.err)}`),
      ),
      shortfalls: await shortfallsOf(expiration.healthPort),
      crashed: stack.crashed.map((p) => p.name),
      started: stack.processes.length,
      readyAtEnd: (await httpStatus(expiration.healthPort, '/readyz')) === 200,
      stoppedExit: await expiration.stop(),
    };
  } finally {
    await stack.close();
  }
}

/** Whether the service's order:created consumer has no message left to deliver or awaiting its ack. */
async function nothingLeftToDeliver(bus: JetStreamBus, stream: string): Promise<boolean> {
  // The JetStream API by request, as nats-tools.ts deletes streams.
  const reply = await bus.connection.request(`$JS.API.CONSUMER.LIST.${stream}`, '{}', { timeout: 10_000 });
  const { consumers = [] } = reply.json<{
    consumers?: Array<{ config: { filter_subject?: string }; num_pending: number; num_ack_pending: number }>;
  }>();
  const consumer = consumers.find((c) => c.config.filter_subject === bus.wireSubject(Subjects.OrderCreated));
  return consumer !== undefined && consumer.num_pending === 0 && consumer.num_ack_pending === 0;
}

/** `expiration_redis_wait_shortfalls_total{subject="order:created"}` of the service's /metrics; 0 when absent. */
async function shortfallsOf(port: number): Promise<number> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const series = 'expiration_redis_wait_shortfalls_total{subject="order:created"} ';
  const line = body.split('\n').find((l) => l.startsWith(series));
  return line ? Number(line.slice(series.length)) : 0;
}

/** How many times each value occurs. */
function countBy(values: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The message of a logged error: pino writes an Error as an object, some lines log only its message. */
function errorText(err: unknown): string {
  if (err && typeof err === 'object' && 'message' in err) return String(err.message);
  return String(err);
}
