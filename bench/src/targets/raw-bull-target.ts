import path from 'node:path';
import Bull, { type JobOptions, type Queue } from 'bull';
import Redis from 'ioredis';
import type { BenchSettings } from '../config';
import { ManagedChild } from '../lib/child-process';
import { ownCpuMs, processCpuMs, redisCpuMs } from '../lib/cpu';
import { FiringLog } from '../lib/firing-log';
import type { PublishSpan } from '../lib/nats-tools';
import type { BenchOrder } from '../lib/orders';
import { REPO_ROOT, tsxArgs } from '../lib/paths';
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
import { QUEUE_NAME, Space } from '../lib/space';
import { waitFor } from '../lib/wait';
import type { RestartTimes, Target, TargetOptions } from './target';

/**
 * The job a producer stores for an order.
 * `raw`: the least Bull needs for one expiration per order (id = order id).
 * `naive`: what the course's `queue.add({ orderId }, { delay })` stores.
 */
export type JobShape = 'raw' | 'naive';

/** Jobs per `addBulk` call: one MULTI of that many addJob scripts. */
const BULK_SIZE = 1_000;
/** `addBulk` calls in flight at once. */
const BULK_IN_FLIGHT = 4;

/**
 * The worker child of a raw target: what it runs, and how the benchmark sees
 * its jobs fire.
 */
export interface RawWorkerPlan {
  name: 'raw' | 'raw-publish';
  /** The worker's entry, relative to the repository root. */
  script: string;
  /** Variables beyond Redis, the prefix, the concurrency and --raw-env. */
  env: Record<string, string>;
  firings: FiringLog;
  wire?: FiringLog;
  /** Gets each stdout line of the worker but the ready line. */
  onLine?: (line: string) => void;
  /** Release what the plan opened, once the worker has stopped; each step runs even if one before failed. */
  closeSteps?: Array<() => Promise<unknown>>;
}

/**
 * Raw Bull (b): the worker reports each job on stdout when it starts, with no
 * NATS at all.
 */
export function reportingWorker(): RawWorkerPlan {
  const firings = new FiringLog();
  return {
    name: 'raw',
    script: path.join('bench', 'src', 'raw', 'worker.ts'),
    env: {},
    firings,
    onLine: (line) => {
      if (line.startsWith('{"o"')) {
        const { o, t } = JSON.parse(line) as { o: string; t: number };
        firings.record(o, t);
      }
    },
  };
}

/**
 * A raw target: the benchmark adds jobs itself with pipelined `addBulk`, and a
 * child process runs `queue.process`. With {@link reportingWorker}, raw Bull
 * (b), the ceiling of any Bull-based expiration service on this machine; with
 * the publishing worker of raw-publish-target.ts, (c).
 */
export class RawBullTarget implements Target {
  readonly name: 'raw' | 'raw-publish';
  readonly firings: FiringLog;
  readonly wire?: FiringLog;
  storedSoFar = 0;
  private worker?: ManagedChild;
  /** How many times the worker was started, to name its profiles. */
  private starts = 0;
  private readonly submits: Promise<PublishSpan>[] = [];
  private closing?: Promise<void>;

  private constructor(
    private readonly settings: BenchSettings,
    private readonly space: Space,
    private readonly redis: Redis,
    private readonly queue: Queue<{ orderId: string }>,
    private readonly shape: JobShape,
    private readonly plan: RawWorkerPlan,
  ) {
    this.name = plan.name;
    this.firings = plan.firings;
    this.wire = plan.wire;
  }

  /**
   * @param settings - the run's settings
   * @param options - label, and whether to start the worker
   * @param shape - which job the producer stores
   * @param plan - the worker; makes the plan in the target's space
   */
  static async open(
    settings: BenchSettings,
    options: TargetOptions,
    shape: JobShape = 'raw',
    plan: (space: Space) => Promise<RawWorkerPlan> = async () => reportingWorker(),
  ): Promise<RawBullTarget> {
    const space = new Space(options.label);
    const workerPlan = await plan(space);
    const redis = new Redis(settings.redis);
    const queue = new Bull<{ orderId: string }>(QUEUE_NAME, { prefix: space.prefix, redis: settings.redis });
    const target = new RawBullTarget(settings, space, redis, queue, shape, workerPlan);
    try {
      await queue.isReady();
      if (options.worker) await target.restart();
    } catch (err) {
      await target.close();
      throw err;
    }
    return target;
  }

  submit(orders: readonly BenchOrder[]): Promise<PublishSpan> {
    const submit = this.addAll(orders);
    this.submits.push(submit);
    return submit;
  }

  private async addAll(orders: readonly BenchOrder[]): Promise<PublishSpan> {
    const startedAt = Date.now();
    const chunks: BenchOrder[][] = [];
    for (let i = 0; i < orders.length; i += BULK_SIZE) chunks.push(orders.slice(i, i + BULK_SIZE));
    const next = async (): Promise<void> => {
      for (let chunk = chunks.shift(); chunk; chunk = chunks.shift()) {
        const now = Date.now();
        await this.queue.addBulk(chunk.map((o) => ({ data: { orderId: o.id }, opts: jobOptions(this.shape, o, now) })));
        this.storedSoFar += chunk.length;
      }
    };
    await Promise.all(Array.from({ length: BULK_IN_FLIGHT }, next));
    return { startedAt, endedAt: Date.now() };
  }

  /** The jobs are stored once `addBulk` has resolved: waits for the submits in flight. */
  async waitStored(): Promise<number> {
    let endedAt = 0;
    for (const submit of this.submits) endedAt = Math.max(endedAt, (await submit).endedAt);
    return endedAt || Date.now();
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
    return this.worker?.running && this.worker.pid ? processCpuMs(this.worker.pid) : ownCpuMs();
  }

  redisCpuMs(): Promise<number> {
    return redisCpuMs(this.redis);
  }

  async kill(): Promise<void> {
    this.worker?.kill('SIGKILL');
    await this.worker?.exited;
  }

  async restart(): Promise<RestartTimes> {
    let ready = false;
    this.starts++;
    const profileName = `${this.space.id}-worker${this.starts > 1 ? `-start${this.starts}` : ''}`;
    const worker = ManagedChild.spawn({
      name: `${this.name} worker`,
      command: process.execPath,
      args: [
        ...profilingArgs(this.settings.rawNodeArgs, this.settings.logDir, profileName),
        ...tsxArgs(this.plan.script),
      ],
      cwd: REPO_ROOT,
      env: {
        REDIS_HOST: this.settings.redis.host,
        REDIS_PORT: String(this.settings.redis.port),
        QUEUE_PREFIX: this.space.prefix,
        CONCURRENCY: String(this.settings.concurrency),
        ...this.plan.env,
        ...this.settings.rawEnv,
      },
      onLine: (line) => {
        if (line.includes('"msg":"ready"')) ready = true;
        else this.plan.onLine?.(line);
      },
    });
    this.worker = worker;
    await waitFor(() => ready, {
      timeoutMs: 60_000,
      intervalMs: 20,
      what: `the ${this.name} worker to be ready`,
      giveUpIf: () => (worker.exit ? `it exited with code ${worker.exit.code}\n${worker.stderr}` : undefined),
    });
    return { spawnedAt: worker.spawnedAt, readyAt: Date.now() };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      const steps: Array<() => Promise<unknown>> = [
        async () => this.worker?.stop(),
        ...(this.plan.closeSteps ?? []),
        () => this.queue.close(),
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
}

/**
 * @param shape - which producer's job
 * @param order - the order
 * @param now - the time of the add
 */
export function jobOptions(shape: JobShape, order: BenchOrder, now: number): JobOptions & { timestamp?: number } {
  if (shape === 'naive') return { delay: order.expiresAt - now };
  // As the service does: timestamp + delay is the order's expiresAt even when
  // it is already past, so lateness can be read from the job. Bull honours
  // opts.timestamp, but its typings leave it out.
  return {
    jobId: order.id,
    delay: Math.max(0, order.expiresAt - now),
    timestamp: Math.min(now, order.expiresAt),
    removeOnComplete: true,
  };
}
