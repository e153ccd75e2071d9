import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JetStreamBus } from '@grider-ms-tickets/common';
import { sessionCookie } from '../../orders/src/test/session-cookie';
import { benchLogger, connectBus } from '../src/lib/nats-tools';
import { freePort } from '@grider-ms-tickets/common/testing';
import { Space } from '../src/lib/space';
import { waitFor } from '../src/lib/wait';
import { NatsCluster } from './nats-cluster';
import { OrdersApi } from './orders-api';
import { NatsServer, RedisServer } from './servers';
import { TicketingProcess } from './ticketing-process';

/** The orders service as a scenario runs it. */
export interface RunningOrders {
  process: TicketingProcess;
  /** Its API, as one signed-in user. */
  api: OrdersApi;
}

/** The NATS of a stack, as started, with the URLs its clients are given. */
interface StartedNats<N> {
  nats: N;
  urls: string[];
}

/**
 * What one fault scenario runs on: a redis-server and a nats-server (JetStream)
 * of its own, or a cluster of three, in a temporary folder, a stream and
 * subject prefix of its own on it, the suite's connection to that stream, and
 * the services it starts. Its `close` stops everything in reverse order and
 * deletes the folder, so a scenario leaves nothing behind on the shared
 * servers or on disk.
 */
export class FaultStack<N extends NatsServer | NatsCluster = NatsServer> {
  /** Every service started, stopped or not. */
  readonly processes: TicketingProcess[] = [];
  private readonly cleanups: Array<() => Promise<unknown>> = [];
  /** Counted when a start begins, so that replicas started together get distinct names. */
  private expirationsStarted = 0;

  private constructor(
    readonly workDir: string,
    readonly space: Space,
    readonly redis: RedisServer,
    readonly nats: N,
    /** What NATS_URL lists: the server, or every member of the cluster. */
    readonly natsUrls: string[],
    readonly bus: JetStreamBus,
  ) {}

  /**
   * @param label - names the temporary folder, the stream and the prefixes
   * @returns once both servers answer and the suite is connected to the stream
   */
  static start(label: string): Promise<FaultStack> {
    return FaultStack.open(label, async (dir) => {
      const nats = await NatsServer.start(dir);
      return { nats, urls: [nats.url] };
    });
  }

  /**
   * Like {@link FaultStack.start}, on a JetStream cluster of three
   * nats-servers. The suite creates the stream with one replica, as a service
   * of an earlier version did; NATS_STREAM_REPLICAS raises it.
   *
   * @param label - names the temporary folder, the stream and the prefixes
   * @returns once the servers answer and the suite is connected to the stream
   */
  static startOnCluster(label: string): Promise<FaultStack<NatsCluster>> {
    return FaultStack.open(label, async (dir) => {
      const nats = await NatsCluster.start(dir);
      return { nats, urls: nats.urls };
    });
  }

  private static async open<N extends NatsServer | NatsCluster>(
    label: string,
    startNats: (dir: string) => Promise<StartedNats<N>>,
  ): Promise<FaultStack<N>> {
    const workDir = mkdtempSync(path.join(tmpdir(), `expiration-faults-${label}-`));
    const started: Array<{ stop(): Promise<unknown> }> = [];
    try {
      const redis = await RedisServer.start(path.join(workDir, 'redis'));
      started.unshift(redis);
      const { nats, urls } = await startNats(path.join(workDir, 'nats'));
      started.unshift(nats);
      const space = new Space(`faults-${label}`);
      // A cluster answers stream requests only once it has elected its meta leader.
      const bus = await waitFor(() => connectBus(urls, space, benchLogger(label, 'silent')), {
        timeoutMs: 30_000,
        intervalMs: 500,
        what: `the stream on ${urls.join(',')}`,
      });
      const stack = new FaultStack(workDir, space, redis, nats, urls, bus);
      stack.defer(() => redis.stop());
      stack.defer(() => nats.stop());
      stack.defer(() => bus.close());
      return stack;
    } catch (err) {
      for (const server of started) await server.stop().catch(() => undefined);
      rmSync(workDir, { recursive: true, force: true });
      throw err;
    }
  }

  /** Services that exited without being asked to. */
  get crashed(): TicketingProcess[] {
    return this.processes.filter((p) => p.crash !== undefined);
  }

  /**
   * Registers something to close with the stack; the last registered closes first.
   *
   * @param cleanup - closes it
   */
  defer(cleanup: () => Promise<unknown>): void {
    this.cleanups.unshift(cleanup);
  }

  /**
   * Starts the expiration service on the stack's Redis and stream.
   *
   * @param env - variables put over the defaults (LOG_LEVEL info, retries every 2 s at most)
   * @param redisEnv - where Redis is: the stack's redis-server unless given, such as a Sentinel topology's variables
   * @returns once it is ready
   */
  async startExpiration(
    env: Record<string, string> = {},
    redisEnv: Record<string, string> = { REDIS_HOST: '127.0.0.1', REDIS_PORT: String(this.redis.port) },
  ): Promise<TicketingProcess> {
    const healthPort = await freePort();
    return this.track(
      TicketingProcess.start({
        service: 'expiration',
        name: `expiration#${++this.expirationsStarted}`,
        healthPort,
        env: {
          ...this.busEnv(),
          ...redisEnv,
          QUEUE_PREFIX: this.space.prefix,
          HEALTH_PORT: String(healthPort),
          LOG_LEVEL: 'info',
          // A publish that fails during an outage is retried every 2 s at most
          // instead of every minute, so that a scenario takes seconds.
          EXPIRATION_BACKOFF_MS: '250',
          EXPIRATION_BACKOFF_MAX_MS: '2000',
          ...env,
        },
      }),
    );
  }

  /**
   * Starts the orders service with its memory store on the stack's stream,
   * and makes a user for its API.
   *
   * @param env - variables put over the defaults (LOG_LEVEL info; the sweeper as in production)
   * @returns once it is ready
   */
  async startOrders(env: Record<string, string> = {}): Promise<RunningOrders> {
    const port = await freePort();
    const jwtKey = randomBytes(32).toString('hex');
    const orders = await this.track(
      TicketingProcess.start({
        service: 'orders',
        healthPort: port,
        env: {
          ...this.busEnv(),
          ORDERS_STORE: 'memory',
          JWT_KEY: jwtKey,
          PORT: String(port),
          LOG_LEVEL: 'info',
          ...env,
        },
      }),
    );
    const user = { id: randomBytes(12).toString('hex'), email: 'faults@example.com' };
    return { process: orders, api: new OrdersApi(port, sessionCookie(user, jwtKey)) };
  }

  /** Stops every service that still runs, then the suite's connection and the servers; deletes the folder. */
  async close(): Promise<void> {
    for (const p of this.processes) await p.stop().catch(() => undefined);
    for (const cleanup of this.cleanups) await cleanup().catch(() => undefined);
    rmSync(this.workDir, { recursive: true, force: true });
  }

  private busEnv(): Record<string, string> {
    return {
      EVENT_BUS: 'jetstream',
      NATS_URL: this.natsUrls.join(','),
      NATS_STREAM: this.space.stream,
      NATS_SUBJECT_PREFIX: this.space.subjectPrefix,
    };
  }

  private async track(starting: Promise<TicketingProcess>): Promise<TicketingProcess> {
    const started = await starting;
    this.processes.push(started);
    return started;
  }
}
