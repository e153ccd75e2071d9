import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { freePort } from '@grider-ms-tickets/common/testing';
import { ManagedChild } from '../src/lib/child-process';
import { httpStatus } from '../src/lib/service-process';
import { waitFor } from '../src/lib/wait';
import { LocalServer } from './servers';

/** One member's replica of a stream, as that member reports it. */
export interface StreamReplica {
  /** The leader this member knows of; undefined while there is none. */
  leader?: string;
  lastSeq: number;
  messages: number;
  /** The other members' replicas, as the leader reports them (empty on a follower). */
  replicas: Array<{ name: string; current: boolean; lag: number }>;
}

/** The part of `/jsz?streams=true` read here. */
interface Jsz {
  account_details?: Array<{
    stream_detail?: Array<{
      name: string;
      cluster?: { leader?: string; replicas?: Array<{ name: string; current: boolean; lag?: number }> };
      state: { messages: number; last_seq: number };
    }>;
  }>;
}

/** The ports of one member of the cluster. */
interface NodePorts {
  client: number;
  cluster: number;
  monitor: number;
}

/**
 * One nats-server of a {@link NatsCluster}: JetStream on, its own store, a
 * route to every member. Restarting it keeps its name, ports and store, so it
 * rejoins as the same peer and catches up on the streams it holds a replica of.
 */
export class ClusterNode extends LocalServer {
  constructor(
    /** Its `server_name`, which JetStream names a stream's leader and replicas by. */
    readonly name: string,
    readonly ports: NodePorts,
    private readonly configFile: string,
  ) {
    super();
  }

  /** The URL clients connect to. */
  get url(): string {
    return `nats://127.0.0.1:${this.ports.client}`;
  }

  /** Whether the process runs. */
  get running(): boolean {
    return this.child?.running ?? false;
  }

  /** SIGKILL: a crash of the server, with no leadership handed over. */
  async kill(): Promise<void> {
    this.child?.kill('SIGKILL');
    await this.child?.exited;
  }

  /**
   * Starts the process (again), without waiting: a member is healthy only once
   * the cluster has a JetStream meta leader, which takes two members.
   */
  launch(): void {
    this.child = ManagedChild.spawn({ name: this.name, command: 'nats-server', args: ['-c', this.configFile] });
  }

  /** Waits until /healthz answers 200: JetStream is up and knows the cluster's meta leader. */
  async healthy(timeoutMs = 30_000): Promise<void> {
    const child = this.child;
    await waitFor(async () => (await httpStatus(this.ports.monitor, '/healthz')) === 200, {
      timeoutMs,
      intervalMs: 100,
      what: `${this.name} on port ${this.ports.client}`,
      giveUpIf: () => (child?.exit ? `it exited with code ${child.exit.code}` : undefined),
    });
  }

  /** Starts it again after {@link ClusterNode.kill}, and waits until it is healthy. */
  async start(): Promise<void> {
    await this.spawn();
  }

  protected async spawn(): Promise<void> {
    this.launch();
    await this.healthy();
  }
}

/**
 * Three nats-servers with JetStream on loopback, in one cluster (routes
 * between all of them), each with its store in `dir/<name>`. A stream created
 * with `num_replicas: 3` has a copy on each, and one of them leads it.
 */
export class NatsCluster {
  private constructor(readonly nodes: readonly ClusterNode[]) {}

  /**
   * @param dir - holds each member's config, store and log
   * @param size - how many members @defaultValue 3
   * @returns once every member is healthy
   */
  static async start(dir: string, size = 3): Promise<NatsCluster> {
    const ports: NodePorts[] = [];
    for (let i = 0; i < size; i++) {
      ports.push({ client: await freePort(), cluster: await freePort(), monitor: await freePort() });
    }
    const routes = ports.map((p) => `"nats://127.0.0.1:${p.cluster}"`).join(', ');
    const nodes = ports.map((p, i) => {
      const name = `n${i + 1}`;
      const nodeDir = path.join(dir, name);
      mkdirSync(nodeDir, { recursive: true });
      const configFile = path.join(nodeDir, 'nats.conf');
      writeFileSync(
        configFile,
        [
          `server_name: ${name}`,
          `host: 127.0.0.1`,
          `port: ${p.client}`,
          `http_port: ${p.monitor}`,
          `jetstream { store_dir: "${path.join(nodeDir, 'js')}" }`,
          `cluster { name: faults, host: 127.0.0.1, port: ${p.cluster}, routes: [${routes}] }`,
          `log_file: "${path.join(nodeDir, 'nats.log')}"`,
          '',
        ].join('\n'),
      );
      return new ClusterNode(name, p, configFile);
    });
    const cluster = new NatsCluster(nodes);
    try {
      for (const node of nodes) node.launch();
      await Promise.all(nodes.map((n) => n.healthy(60_000)));
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Every member's URL, as NATS_URL lists them. */
  get urls(): string[] {
    return this.nodes.map((n) => n.url);
  }

  /**
   * @param name - a member's server_name
   * @returns that member
   */
  node(name: string): ClusterNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no cluster member named ${name}`);
    return node;
  }

  /**
   * What one member holds of a stream, from its monitoring endpoint
   * (`/jsz?streams=true`): its own replica, not the leader's answer that a
   * JetStream API request would get. Plain HTTP, so it answers during an
   * election, when API requests time out.
   *
   * @param node - the member asked
   * @param stream - the stream's name
   * @returns its replica, or undefined when it holds none (or does not answer)
   */
  async replicaOn(node: ClusterNode, stream: string): Promise<StreamReplica | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${node.ports.monitor}/jsz?streams=true`, {
        signal: AbortSignal.timeout(2_000),
      });
      const jsz = (await res.json()) as Jsz;
      const detail = (jsz.account_details ?? []).flatMap((a) => a.stream_detail ?? []).find((d) => d.name === stream);
      if (!detail) return undefined;
      return {
        leader: detail.cluster?.leader || undefined,
        lastSeq: detail.state.last_seq,
        messages: detail.state.messages,
        replicas: (detail.cluster?.replicas ?? []).map((r) => ({ name: r.name, current: r.current, lag: r.lag ?? 0 })),
      };
    } catch {
      return undefined;
    }
  }

  /** SIGTERM to every member that runs. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
  }
}
