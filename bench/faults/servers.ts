import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Redis from 'ioredis';
import { ManagedChild } from '../src/lib/child-process';
import { freePort } from '@grider-ms-tickets/common/testing';
import { httpStatus } from '../src/lib/service-process';
import { sleep, waitFor } from '../src/lib/wait';

/**
 * A redis-server of the fault suite's own, configured as the manifests
 * configure the expiration service's Redis (infra/k8s/base/expiration-redis.yaml):
 * AOF on, fsync every second, never evict. Restarting it reloads the AOF from
 * the same directory.
 */
/**
 * A server process of the fault suite that can be stopped and restarted on the
 * same port and data folder. SIGTERM is a pod restart (Redis fsyncs its AOF,
 * NATS flushes its store); SIGKILL is a crash of the process (what Redis wrote
 * to the AOF with write(2) survives in the page cache).
 */
export abstract class LocalServer {
  protected child?: ManagedChild;

  protected abstract spawn(): Promise<void>;

  /** Stops it, waits `downtimeMs`, starts it again. */
  async restart(downtimeMs: number, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (signal === 'SIGKILL') {
      this.child?.kill('SIGKILL');
      await this.child?.exited;
    } else {
      await this.stop();
    }
    await sleep(downtimeMs);
    await this.spawn();
  }

  /** SIGTERM, and wait for the exit. */
  async stop(): Promise<void> {
    await this.child?.stop(10_000);
  }
}

export class RedisServer extends LocalServer {
  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {
    super();
  }

  /**
   * @param dir - its data directory (the AOF lives there)
   * @returns once it answers PING
   */
  static async start(dir: string): Promise<RedisServer> {
    mkdirSync(dir, { recursive: true });
    const server = new RedisServer(await freePort(), dir);
    await server.spawn();
    return server;
  }

  protected async spawn(): Promise<void> {
    const child = ManagedChild.spawn({
      name: 'redis-server',
      command: 'redis-server',
      args: [
        '--bind',
        '127.0.0.1',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        'everysec',
        '--maxmemory',
        '384mb',
        '--maxmemory-policy',
        'noeviction',
        '--save',
        '',
        '--logfile',
        path.join(this.dir, 'redis.log'),
      ],
    });
    this.child = child;
    const probe = new Redis({
      port: this.port,
      host: '127.0.0.1',
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    probe.on('error', () => undefined);
    try {
      await waitFor(
        async () => {
          if (probe.status !== 'ready') await probe.connect().catch(() => undefined);
          return (await probe.ping()) === 'PONG';
        },
        {
          timeoutMs: 15_000,
          intervalMs: 50,
          what: `redis-server on port ${this.port}`,
          giveUpIf: () => (child.exit ? `it exited with code ${child.exit.code}` : undefined),
        },
      );
    } finally {
      probe.disconnect();
    }
  }
}

/**
 * A nats-server with JetStream of the fault suite's own, with its store in a
 * temporary directory. `max_payload` is raised to 8 MB so that a 1 MB event
 * reaches the service (whose listener must reject it) instead of being refused
 * by the server.
 */
export class NatsServer extends LocalServer {
  private constructor(
    readonly port: number,
    private readonly monitorPort: number,
    private readonly configFile: string,
  ) {
    super();
  }

  /** The URL clients connect to. */
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /**
   * @param dir - holds the config, the JetStream store and the log
   * @returns once it accepts connections
   */
  static async start(dir: string): Promise<NatsServer> {
    mkdirSync(dir, { recursive: true });
    const port = await freePort();
    const monitorPort = await freePort();
    const configFile = path.join(dir, 'nats.conf');
    writeFileSync(
      configFile,
      [
        `host: 127.0.0.1`,
        `port: ${port}`,
        `http_port: ${monitorPort}`,
        `max_payload: 8MB`,
        `jetstream { store_dir: "${path.join(dir, 'js')}" }`,
        `log_file: "${path.join(dir, 'nats.log')}"`,
        '',
      ].join('\n'),
    );
    const server = new NatsServer(port, monitorPort, configFile);
    await server.spawn();
    return server;
  }

  protected async spawn(): Promise<void> {
    const child = ManagedChild.spawn({
      name: 'nats-server',
      command: 'nats-server',
      args: ['-c', this.configFile, '-js'],
    });
    this.child = child;
    // /healthz answers 200 only once JetStream has recovered its store.
    await waitFor(async () => (await httpStatus(this.monitorPort, '/healthz')) === 200, {
      timeoutMs: 15_000,
      intervalMs: 50,
      what: `nats-server on port ${this.port}`,
      giveUpIf: () => (child.exit ? `it exited with code ${child.exit.code}` : undefined),
    });
  }
}
