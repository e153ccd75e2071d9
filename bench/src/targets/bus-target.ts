import path from 'node:path';
import Redis from 'ioredis';
import { Subjects, type JetStreamBus } from '@grider-ms-tickets/common';
import type { BenchSettings } from '../config';
import { ManagedChild } from '../lib/child-process';
import { processCpuMs, redisCpuMs } from '../lib/cpu';
import { ExpirationObserver } from '../lib/expiration-observer';
import type { FiringLog } from '../lib/firing-log';
import { connectBus, deleteStream, publishAll, type PublishSpan } from '../lib/nats-tools';
import { orderCreatedData, type BenchOrder } from '../lib/orders';
import { REPO_ROOT, tsxArgs } from '../lib/paths';
import { freePort } from '@grider-ms-tickets/common/testing';
import { profilingArgs } from '../lib/profiling';
import {
  deletePrefix,
  prefixMemory,
  queueSizes,
  sampleJobHash,
  type JobHashSample,
  type PrefixMemory,
  type QueueSizes,
} from '../lib/redis-tools';
import { spawnService, waitServiceReady } from '../lib/service-process';
import { Space } from '../lib/space';
import { waitFor } from '../lib/wait';
import type { RestartTimes, Target, TargetOptions } from './target';

/**
 * An implementation that listens on NATS: the real expiration service (a child
 * process) or the naive baseline (another child process). The benchmark
 * publishes order:created and watches expiration:complete on the same stream.
 */
export class BusTarget implements Target {
  readonly firings: FiringLog;
  readonly wire: FiringLog;
  storedSoFar = 0;
  private children: ManagedChild[] = [];
  /** How many times the processes were started, to name their profiles. */
  private starts = 0;
  private closing?: Promise<void>;

  private constructor(
    readonly name: 'service' | 'naive',
    private readonly settings: BenchSettings,
    private readonly space: Space,
    private readonly redis: Redis,
    private readonly bus: JetStreamBus,
    private readonly observer: ExpirationObserver,
  ) {
    this.firings = observer.stored;
    this.wire = observer.wire;
  }

  /**
   * Creates the space, subscribes the observer, then starts the process.
   *
   * @returns once the process is ready
   */
  static async open(name: 'service' | 'naive', settings: BenchSettings, options: TargetOptions): Promise<BusTarget> {
    const space = new Space(options.label);
    const redis = new Redis({ ...settings.redis, lazyConnect: false });
    const bus = await connectBus(settings.natsUrl, space);
    const observer = await ExpirationObserver.start(bus);
    const target = new BusTarget(name, settings, space, redis, bus, observer);
    try {
      await target.startProcess();
    } catch (err) {
      await target.close();
      throw err;
    }
    return target;
  }

  async submit(orders: readonly BenchOrder[]): Promise<PublishSpan> {
    return publishAll(
      this.bus,
      Subjects.OrderCreated,
      orders.map((o) => JSON.stringify(orderCreatedData(o))),
    );
  }

  async waitStored(count: number, timeoutMs: number): Promise<number> {
    await waitFor(
      async () => {
        const s = await this.sizes();
        this.storedSoFar = s.delayed + s.waiting + s.active + s.completed + s.failed;
        return this.storedSoFar >= count;
      },
      {
        timeoutMs,
        intervalMs: 5,
        what: `${count} jobs stored by ${this.name}`,
        giveUpIf: () => {
          const dead = this.children.find((c) => c.exit);
          return dead ? `${dead.name} exited with code ${dead.exit?.code}` : undefined;
        },
      },
    );
    return Date.now();
  }

  sizes(): Promise<QueueSizes> {
    return queueSizes(this.redis, (n) => this.space.key(n));
  }

  memory(): Promise<PrefixMemory> {
    return prefixMemory(this.redis, this.space.prefix);
  }

  sampleJob(): Promise<JobHashSample | undefined> {
    return sampleJobHash(this.redis, this.space.prefix);
  }

  cpuMs(): number | null {
    let total = 0;
    for (const child of this.children) {
      const ms = child.pid ? processCpuMs(child.pid) : null;
      if (ms === null) return null;
      total += ms;
    }
    return this.children.length ? total : null;
  }

  redisCpuMs(): Promise<number> {
    return redisCpuMs(this.redis);
  }

  async kill(replica?: number): Promise<void> {
    const victims = replica === undefined ? this.children : [this.replica(replica)];
    for (const child of victims) child.kill('SIGKILL');
    await Promise.all(victims.map((c) => c.exited));
  }

  async restart(replica?: number): Promise<RestartTimes> {
    if (replica === undefined) return this.startProcess();
    this.replica(replica);
    this.starts++;
    const { child, ready } = await this.spawnReplica(replica);
    this.children[replica] = child;
    return { spawnedAt: child.spawnedAt, readyAt: await ready };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const steps: Array<() => Promise<unknown>> = [
        async () => {
          for (const child of this.children) {
            const exit = await child.stop();
            if (exit.code !== 0)
              console.warn(`  ${child.name} exited with code ${exit.code} signal ${exit.signal} on SIGTERM`);
          }
        },
        () => this.observer.close(),
        () => deleteStream(this.bus, this.space.stream),
        () => this.bus.close(),
        () => deletePrefix(this.redis, this.space.prefix),
        () => this.redis.quit(),
      ];
      for (const step of steps) {
        try {
          await step();
        } catch (err) {
          console.warn(`  clean-up of ${this.space.id} failed: ${(err as Error).message}`);
        }
      }
    })();
    return this.closing;
  }

  /** The service process of a replica; throws for one that does not exist. */
  private replica(index: number): ManagedChild {
    const child = this.name === 'service' ? this.children[index] : undefined;
    if (!child) throw new Error(`${this.name} has no replica #${index + 1}`);
    return child;
  }

  private get commonEnv(): Record<string, string> {
    return {
      NATS_URL: this.settings.natsUrl,
      NATS_STREAM: this.space.stream,
      NATS_SUBJECT_PREFIX: this.space.subjectPrefix,
      REDIS_HOST: this.settings.redis.host,
      REDIS_PORT: String(this.settings.redis.port),
      QUEUE_PREFIX: this.space.prefix,
    };
  }

  /** Starts one service process; `ready` resolves (epoch ms) once it answers /readyz. */
  private async spawnReplica(index: number): Promise<{ child: ManagedChild; ready: Promise<number> }> {
    const healthPort = await freePort();
    const logFile = path.join(this.settings.logDir, `${this.space.id}${index === 0 ? '' : `-${index + 1}`}.log`);
    const child = spawnService({
      name: `expiration#${index + 1}`,
      launch: this.settings.serviceLaunch,
      nodeArgs: profilingArgs(
        this.settings.serviceNodeArgs,
        this.settings.logDir,
        `${path.basename(logFile, '.log')}${this.starts > 1 ? `-start${this.starts}` : ''}`,
      ),
      env: {
        ...this.commonEnv,
        EVENT_BUS: 'jetstream',
        HEALTH_PORT: String(healthPort),
        LOG_LEVEL: 'info',
        EXPIRATION_CONCURRENCY: String(this.settings.concurrency),
        ...this.settings.serviceEnv,
      },
      logFile,
    });
    return { child, ready: waitServiceReady(child, healthPort) };
  }

  private async startProcess(): Promise<RestartTimes> {
    if (this.name === 'service') {
      // Several replicas share the durable consumers and the Bull queue, as
      // pods of one Deployment do.
      this.children = [];
      this.starts++;
      const ready: Promise<number>[] = [];
      for (let i = 0; i < this.settings.replicas; i++) {
        const replica = await this.spawnReplica(i);
        this.children.push(replica.child);
        ready.push(replica.ready);
      }
      const readyAt = Math.max(...(await Promise.all(ready)));
      return { spawnedAt: this.children[0].spawnedAt, readyAt };
    }
    let ready = false;
    const child = ManagedChild.spawn({
      name: 'naive',
      command: process.execPath,
      args: tsxArgs(path.join('bench', 'src', 'naive', 'main.ts')),
      cwd: REPO_ROOT,
      env: this.commonEnv,
      onLine: (line) => {
        if (line.includes('"msg":"ready"')) ready = true;
      },
    });
    this.children = [child];
    await waitFor(() => ready, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: 'the naive baseline to be ready',
      giveUpIf: () => (child.exit ? `it exited with code ${child.exit.code}\n${child.stderr}` : undefined),
    });
    return { spawnedAt: child.spawnedAt, readyAt: Date.now() };
  }
}
