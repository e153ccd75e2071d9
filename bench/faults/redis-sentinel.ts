import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { freePort } from '@grider-ms-tickets/common/testing';
import { ManagedChild } from '../src/lib/child-process';
import { waitFor } from '../src/lib/wait';

/** The name the sentinels monitor the master under. */
export const SENTINEL_MASTER_NAME = 'mymaster';
/** How many sentinels must agree that the master is down: two of the three. */
const QUORUM = 2;
/** How long the master must not answer before a sentinel thinks it down. */
const DOWN_AFTER_MS = 1_000;
const FAILOVER_TIMEOUT_MS = 5_000;

/** A data node: a redis-server that is the master or a replica, by the sentinels' say. */
interface DataNode {
  port: number;
  dir: string;
  child?: ManagedChild;
}

/**
 * Redis with Sentinel on loopback, of the fault suite's own: a master, one
 * replica and three sentinels, each a process in a folder of its own. Nothing
 * is persisted: a node that comes back empty is a replica and copies the
 * master, so a node is only restarted once the sentinels have promoted
 * another (else it would come back an empty master and its replica would
 * copy the emptiness).
 */
export class RedisSentinelTopology {
  private readonly sentinelChildren: ManagedChild[] = [];

  private constructor(
    private readonly dir: string,
    private readonly nodes: [DataNode, DataNode],
    readonly sentinelPorts: readonly number[],
  ) {}

  /**
   * Starts the master, the replica and the sentinels, and waits until the
   * replica is in sync and every sentinel knows it.
   *
   * @param dir - holds a folder per process
   * @returns the running topology
   */
  static async start(dir: string): Promise<RedisSentinelTopology> {
    const node = async (name: string): Promise<DataNode> => ({ port: await freePort(), dir: path.join(dir, name) });
    const nodes: [DataNode, DataNode] = [await node('node-a'), await node('node-b')];
    const sentinelPorts = [await freePort(), await freePort(), await freePort()];
    const topology = new RedisSentinelTopology(dir, nodes, sentinelPorts);
    try {
      await topology.spawnNode(nodes[0]);
      await topology.spawnNode(nodes[1], nodes[0].port);
      await topology.waitInSync(nodes[0].port);
      for (const port of sentinelPorts) await topology.spawnSentinel(port, nodes[0].port);
      await topology.waitSentinelsSeeReplica();
      return topology;
    } catch (err) {
      await topology.stop();
      throw err;
    }
  }

  /** What the expiration service is given to find the master through the sentinels. */
  get serviceEnv(): Record<string, string> {
    return {
      REDIS_SENTINELS: this.sentinelPorts.map((port) => `127.0.0.1:${port}`).join(','),
      REDIS_SENTINEL_NAME: SENTINEL_MASTER_NAME,
    };
  }

  /** @returns the port of the master, as the first sentinel that answers reports it */
  async masterPort(): Promise<number> {
    for (const port of this.sentinelPorts) {
      const sentinel = probe(port);
      try {
        const reply = (await sentinel.call('SENTINEL', 'get-master-addr-by-name', SENTINEL_MASTER_NAME)) as string[];
        return Number(reply[1]);
      } catch {
        // Ask the next one.
      } finally {
        sentinel.disconnect();
      }
    }
    throw new Error('no sentinel answered');
  }

  /**
   * SIGKILLs the master: a crash, with whatever it had not yet sent to its
   * replica lost.
   *
   * @returns the port it had
   */
  async killMaster(): Promise<number> {
    const port = await this.masterPort();
    const master = this.nodeOn(port);
    master.child?.kill('SIGKILL');
    await master.child?.exited;
    return port;
  }

  /**
   * Waits until the sentinels name another master than the one on `oldPort`.
   *
   * @param oldPort - the port of the master that was killed
   * @returns the new master's port
   */
  async waitFailover(oldPort: number): Promise<number> {
    return waitFor(
      async () => {
        const port = await this.masterPort().catch(() => oldPort);
        return port !== oldPort ? port : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 50, what: `the sentinels to promote a replica of the master on ${oldPort}` },
    );
  }

  /**
   * Starts the node on `port` again, empty, as a replica of the master the
   * sentinels name, as a pod's start-up script would (left to themselves,
   * the sentinels would make it one too, but only once they look at it
   * again, up to 10 s later). Waits until it is in sync.
   *
   * @param port - the node's port, as {@link RedisSentinelTopology.killMaster} returned it
   */
  async restartAsReplica(port: number): Promise<void> {
    const masterPort = await this.masterPort();
    await this.spawnNode(this.nodeOn(port), masterPort);
    await this.waitInSync(masterPort);
  }

  /**
   * A connection to the current master, for the checks. The caller disconnects it.
   *
   * @returns the connection
   */
  async connectMaster(): Promise<Redis> {
    return probe(await this.masterPort());
  }

  /** Stops every process (SIGTERM, then SIGKILL). */
  async stop(): Promise<void> {
    const children = [...this.sentinelChildren, ...this.nodes.flatMap((n) => n.child ?? [])];
    await Promise.all(children.map((child) => child.stop(10_000)));
  }

  private nodeOn(port: number): DataNode {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no data node on port ${port}`);
    return node;
  }

  private async spawnNode(node: DataNode, replicaOf?: number): Promise<void> {
    mkdirSync(node.dir, { recursive: true });
    node.child = ManagedChild.spawn({
      name: `redis-server:${node.port}`,
      command: 'redis-server',
      args: [
        ...['--bind', '127.0.0.1', '--port', String(node.port), '--dir', node.dir],
        ...['--save', '', '--appendonly', 'no'],
        // A full sync at once instead of after 5 s, so that a restarted node
        // is a replica again quickly.
        ...['--repl-diskless-sync-delay', '0'],
        ...(replicaOf === undefined ? [] : ['--replicaof', '127.0.0.1', String(replicaOf)]),
        ...['--logfile', path.join(node.dir, 'redis.log')],
      ],
    });
    await waitAnswers(node.port, node.child);
  }

  private async spawnSentinel(port: number, masterPort: number): Promise<void> {
    const dir = path.join(this.dir, `sentinel-${port}`);
    mkdirSync(dir, { recursive: true });
    // Sentinel rewrites its config file as it learns the topology, so each has its own.
    const configFile = path.join(dir, 'sentinel.conf');
    writeFileSync(
      configFile,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `logfile ${path.join(dir, 'sentinel.log')}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${masterPort} ${QUORUM}`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} ${FAILOVER_TIMEOUT_MS}`,
        '',
      ].join('\n'),
    );
    const child = ManagedChild.spawn({
      name: `redis-sentinel:${port}`,
      command: 'redis-server',
      args: [configFile, '--sentinel'],
    });
    this.sentinelChildren.push(child);
    await waitAnswers(port, child);
  }

  /** Waits until the master on `masterPort` has an online replica. */
  private async waitInSync(masterPort: number): Promise<void> {
    const master = probe(masterPort);
    try {
      await waitFor(async () => /slave0:.*state=online/.test(await master.info('replication').catch(() => '')), {
        timeoutMs: 30_000,
        intervalMs: 100,
        what: `a replica in sync with the master on ${masterPort}`,
      });
    } finally {
      master.disconnect();
    }
  }

  /** Waits until every sentinel lists the replica as up: only then can it promote it. */
  private async waitSentinelsSeeReplica(): Promise<void> {
    for (const port of this.sentinelPorts) {
      const sentinel = probe(port);
      try {
        await waitFor(
          async () => {
            const replicas = (await sentinel
              .call('SENTINEL', 'replicas', SENTINEL_MASTER_NAME)
              .catch(() => [])) as string[][];
            return replicas.some((fields) => {
              const flags = fields[fields.indexOf('flags') + 1] ?? '';
              return flags.split(',').includes('slave') && !/s_down|disconnected/.test(flags);
            });
          },
          { timeoutMs: 30_000, intervalMs: 100, what: `the sentinel on ${port} to see the replica` },
        );
      } finally {
        sentinel.disconnect();
      }
    }
  }
}

/** A connection for the topology's own checks: no retries, so that a dead node fails at once. */
function probe(port: number): Redis {
  const redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, retryStrategy: () => null });
  redis.on('error', () => undefined);
  return redis;
}

/** Waits until a redis-server (or sentinel) that was just spawned answers PING. */
async function waitAnswers(port: number, child: ManagedChild): Promise<void> {
  await waitFor(
    async () => {
      const redis = probe(port);
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        redis.disconnect();
      }
    },
    {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: `${child.name} to answer`,
      giveUpIf: () => (child.exit ? `it exited with code ${child.exit.code}` : undefined),
    },
  );
}
