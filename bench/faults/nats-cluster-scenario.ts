import { jetstreamManager } from '@nats-io/jetstream';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { benchLogger, connectBus } from '../src/lib/nats-tools';
import { httpStatus } from '../src/lib/service-process';
import { sleepUntil, waitFor } from '../src/lib/wait';
import { FaultStack } from './fault-stack';
import type { ClusterNode, NatsCluster } from './nats-cluster';
import {
  flowOutcome,
  orderAtPace,
  startOrderFlow,
  ticketsOnSale,
  waitAllCancelled,
  type FlowOutcome,
} from './order-flow';
import { goOnAfterTimeout } from './scenario-verdict';
import type { TicketingProcess } from './ticketing-process';

/** The stream's replicas: one per member of the cluster. */
export const REPLICAS = 3;
/** When the stream leader is killed, after the first order. */
const KILL_AT_MS = 4_000;
/** How long orders keep being made, one POST every PACE_MS. */
const ORDERING_MS = 12_000;
const PACE_MS = 250;
/** EXPIRATION_WINDOW_SECONDS: orders made just before the kill fall due during the election. */
const WINDOW_SECONDS = 3;
/** A cancellation later than this after the order fell due counts as late. */
export const LATE_MS = 5_000;

/** What the bus logs for each retried publish, and for one whose retries ran out (common/src/bus/jetstream-bus.ts). */
export const RETRY_MESSAGE = 'JetStream publish failed for a passing reason; retrying';
export const GAVE_UP_MESSAGE = 'JetStream publish failed on every attempt; giving up';
/** What expiration logs when a publish failed and Bull will run the job again (expiration/src/queues/expiration-processor.ts). */
const JOB_RETRY_MESSAGE = 'publishing expiration:complete failed; will retry';
const JOB_FAILED_MESSAGE = 'publishing expiration:complete failed; no tries left';
/** What orders logs when a publish failed and the event stays owed (orders/src/domain/publish-owed-events.ts). */
const OWED_MESSAGE = 'could not publish an order event; it stays owed and the sweeper will publish it';

const note = goOnAfterTimeout('nats-cluster');

/** An order the scenario made. */
export interface ClusterOrder {
  id: string;
  version: number;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** A publish a service retried, by its message id. */
export interface RetriedPublish {
  service: string;
  msgId: string;
  /** The retry's number: 1 for the first. */
  attempt: number;
  /** The type of the error of the attempt before it, such as `TimeoutError`. */
  error: string;
}

/** Everything the nats-cluster checks look at. */
export interface NatsClusterRun extends FlowOutcome {
  /** The stream's num_replicas once the services had started (created with 1, raised by NATS_STREAM_REPLICAS). */
  replicasAfterStart: number;
  /** After a bus with NATS_STREAM_REPLICAS=1 connected: whether it warned, and the replicas the stream kept. */
  staleBus: { warned: boolean; replicas: number };
  killed: { name: string; at: number };
  /** From the SIGKILL until a surviving member named another leader; undefined if none did. */
  electionMs?: number;
  newLeader?: string;
  made: ClusterOrder[];
  postErrors: string[];
  retried: RetriedPublish[];
  /** Publishes whose retries ran out; their caller's own retry had to publish them. */
  gaveUp: number;
  /** Failed publishes the services' code saw (a Bull job failed, an order event stayed owed). */
  callerFailures: number;
  jobRetries: number;
  /** From the restarted member's launch until its replica first matched the leader's; undefined if it never did. */
  catchUpMs?: number;
  /** The restarted member at the end, once nothing was published any more; undefined if it had not caught up. */
  caughtUp?: { lastSeq: number; leaderLastSeq: number; current: boolean; lag: number };
  readyAtEnd: boolean;
  crashed: string[];
}

/**
 * Runs both services (child processes) on a JetStream cluster of three
 * nats-servers, NATS_URL listing all three and NATS_STREAM_REPLICAS=3, makes
 * an order every 250 ms for 12 s through `POST /api/orders` (3-second
 * reservations), and SIGKILLs the stream's leader 4 s in. It stays down until
 * the orders are made, then starts again on its store. Every order must go
 * both ways: `order:created` to expiration, `expiration:complete` back to
 * orders, `order:cancelled` out. Waits until every order is cancelled, then
 * until nothing new has arrived for 3 s, then until the restarted member's
 * replica has caught up with the leader's.
 *
 * @param log - prints what it does
 * @returns what happened, for the assertions
 */
export async function runNatsClusterScenario(log: (line: string) => void): Promise<NatsClusterRun> {
  const stack = await FaultStack.startOnCluster('nats-cluster');
  try {
    const { bus, nats: cluster } = stack;
    log(
      `cluster ${cluster.nodes.map((n) => `${n.name} on ${n.ports.client}`).join(', ')}; redis on ${stack.redis.port}`,
    );
    // The suite created the stream with one replica, as an earlier version of
    // a service did; a bus with three raises it before anything consumes it.
    const raising = await connectBus(stack.natsUrls, stack.space, benchLogger('nats-cluster', 'silent'), {
      replicas: REPLICAS,
    });
    await raising.close();
    const jsm = await jetstreamManager(bus.connection);
    // A bus that wants fewer replicas, as a service with a stale setting, leaves them and says so.
    const staleLogs = captureLogs('nats-cluster');
    const stale = await connectBus(stack.natsUrls, stack.space, staleLogs.logger, { replicas: 1 });
    await stale.close();
    const staleBus = {
      warned: staleLogs.lines.some((l) => l.level === 'warn' && l.msg.startsWith('the stream has more replicas')),
      replicas: (await jsm.streams.info(stack.space.stream)).config.num_replicas,
    };
    const flow = await startOrderFlow(stack, WINDOW_SECONDS, {
      NATS_STREAM_REPLICAS: String(REPLICAS),
    });
    const replicasAfterStart = (await jsm.streams.info(stack.space.stream)).config.num_replicas;
    log(`both services ready; the stream has ${replicasAfterStart} replicas`);
    const { expiration, orders, events, expirations } = flow;
    const { api } = orders;

    const { first, tickets } = await ticketsOnSale(bus, api, Math.ceil(ORDERING_MS / PACE_MS) + 1);

    const t0 = Date.now();
    const killed = { name: '', at: Number.POSITIVE_INFINITY };
    let election: { ms: number; leader: string } | undefined;
    const killLeader = async () => {
      await sleepUntil(t0 + KILL_AT_MS);
      const leader = await leaderOf(cluster, cluster.nodes, stack.space.stream);
      if (!leader) throw new Error('no member names a leader of the stream');
      killed.name = leader;
      killed.at = Date.now();
      await cluster.node(leader).kill();
      log(`SIGKILL of ${leader}, the stream's leader, at +${killed.at - t0} ms`);
      const survivors = cluster.nodes.filter((n) => n.name !== leader);
      const next = await waitFor(
        async () => {
          const named = await leaderOf(cluster, survivors, stack.space.stream);
          return named && named !== leader ? named : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 100, what: 'a new stream leader' },
      ).catch(note);
      if (next) {
        election = { ms: Date.now() - killed.at, leader: next };
        log(`${next} leads the stream ${election.ms} ms after the kill`);
      }
    };
    const [, paced] = await Promise.all([
      killLeader(),
      orderAtPace(api, tickets, { paceMs: PACE_MS, until: t0 + ORDERING_MS }),
    ]);
    const made = [first, ...paced.made].map((m) => m.order);
    log(`${made.length} orders made in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    const restarted = cluster.node(killed.name);
    const restartedAt = Date.now();
    await restarted.start();
    log(`${restarted.name} started again on its store; healthy after ${Date.now() - restartedAt} ms`);
    const catchingUp = waitFor(() => caughtUp(cluster, restarted, stack.space.stream), {
      timeoutMs: 60_000,
      intervalMs: 100,
      what: `${restarted.name} to catch up`,
    }).then(
      (figures) => figures.at - restartedAt,
      (err: Error) => {
        note(err);
        return undefined;
      },
    );

    await waitAllCancelled(
      made.map((o) => o.id),
      { events, expirations: expirations.stored },
      note,
    );
    const catchUpMs = await catchingUp;
    // Again once nothing is published any more: the replica holds everything, not just what it held early on.
    const atEnd = await waitFor(() => caughtUp(cluster, restarted, stack.space.stream), {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: `${restarted.name} to hold what the leader holds`,
    }).catch((err: Error) => {
      note(err);
      return undefined;
    });
    if (atEnd) log(`${restarted.name} holds the stream up to ${atEnd.lastSeq}, as the leader does`);

    const services: TicketingProcess[] = [expiration, orders.process];
    const retried = services.flatMap((p) =>
      p.logged(RETRY_MESSAGE).map((l) => ({
        service: p.name,
        msgId: String(l.msgId),
        attempt: Number(l.attempt),
        error: String((l.err as { type?: string } | undefined)?.type),
      })),
    );
    const byError = new Map<string, number>();
    for (const r of retried) byError.set(r.error, (byError.get(r.error) ?? 0) + 1);
    log(`publish retries by the error before them: ${JSON.stringify(Object.fromEntries(byError))}`);
    return {
      replicasAfterStart,
      staleBus,
      killed,
      electionMs: election?.ms,
      newLeader: election?.leader,
      made: made.map((o) => ({ id: o.id, version: o.version, expiresAt: Date.parse(o.expiresAt) })),
      postErrors: paced.postErrors,
      ...(await flowOutcome(flow, bus)),
      retried,
      gaveUp: services.reduce((n, p) => n + p.logged(GAVE_UP_MESSAGE).length, 0),
      jobRetries: expiration.logged(JOB_RETRY_MESSAGE).length,
      callerFailures:
        expiration.logged(JOB_RETRY_MESSAGE).length +
        expiration.logged(JOB_FAILED_MESSAGE).length +
        orders.process.logged(OWED_MESSAGE).length,
      catchUpMs,
      caughtUp: atEnd && {
        lastSeq: atEnd.lastSeq,
        leaderLastSeq: atEnd.leaderLastSeq,
        current: atEnd.current,
        lag: atEnd.lag,
      },
      readyAtEnd: (await Promise.all(services.map((p) => httpStatus(p.healthPort, '/readyz')))).every((s) => s === 200),
      crashed: stack.crashed.map((p) => p.name),
    };
  } finally {
    await stack.close();
  }
}

/**
 * @returns the leader some of `nodes` name for the stream, if any does
 */
async function leaderOf(cluster: NatsCluster, nodes: readonly ClusterNode[], stream: string) {
  for (const node of nodes) {
    const leader = (await cluster.replicaOn(node, stream))?.leader;
    if (leader) return leader;
  }
  return undefined;
}

/**
 * Whether `node`'s replica holds what the leader's does, and the leader counts it current.
 *
 * @returns the figures once it has caught up, otherwise undefined
 */
async function caughtUp(cluster: NatsCluster, node: ClusterNode, stream: string) {
  const own = await cluster.replicaOn(node, stream);
  const leaderName = own?.leader;
  if (!own || !leaderName || leaderName === node.name) return undefined;
  const leader = await cluster.replicaOn(cluster.node(leaderName), stream);
  const seen = leader?.replicas.find((r) => r.name === node.name);
  if (!leader || !seen?.current || seen.lag !== 0 || own.lastSeq !== leader.lastSeq) return undefined;
  return { at: Date.now(), lastSeq: own.lastSeq, leaderLastSeq: leader.lastSeq, current: seen.current, lag: seen.lag };
}
