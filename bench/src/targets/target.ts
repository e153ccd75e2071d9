import type { TargetName } from '../config';
import type { FiringLog } from '../lib/firing-log';
import type { PublishSpan } from '../lib/nats-tools';
import type { BenchOrder } from '../lib/orders';
import type { JobHashSample, PrefixMemory, QueueSizes } from '../lib/redis-tools';

/** When a restarted worker was spawned and when it was ready. */
export interface RestartTimes {
  spawnedAt: number;
  readyAt: number;
}

/**
 * One implementation under test in its own space (Bull prefix, stream, subject
 * prefix): the real service, the naive baseline, raw Bull, or raw Bull +
 * publish. Scenarios drive all four through this one face.
 */
export interface Target {
  readonly name: TargetName;
  /**
   * Hands orders to the implementation: order:created events on NATS for the
   * service and the baseline, pipelined `addBulk` for the raw targets.
   *
   * @returns when the hand-over started and ended (the last ack or reply)
   */
  submit(orders: readonly BenchOrder[]): Promise<PublishSpan>;
  /**
   * Waits until `count` jobs are stored in Redis (in any state).
   *
   * @returns epoch milliseconds when they were
   */
  waitStored(count: number, timeoutMs: number): Promise<number>;
  /**
   * Jobs stored so far, as last counted: by `waitStored` for the service and
   * the baseline, by the adds for the raw targets. For progress lines only.
   */
  readonly storedSoFar: number;
  /** The sizes of the queue's states in Redis. */
  sizes(): Promise<QueueSizes>;
  /** The Redis memory of every key of this target's queue. */
  memory(): Promise<PrefixMemory>;
  /** One job hash of the queue, to see how Redis encodes it. */
  sampleJob(): Promise<JobHashSample | undefined>;
  /**
   * Expirations as a downstream consumer sees them: the JetStream subscriber
   * for the service, the baseline and raw Bull + publish, the worker's report
   * for raw Bull.
   */
  readonly firings: FiringLog;
  /** Every publish that reached NATS, duplicates dropped by JetStream included; absent for raw Bull. */
  readonly wire?: FiringLog;
  /**
   * CPU milliseconds used so far by the process that does the work: the
   * service or the baseline; for the raw targets the worker if it runs, else
   * the benchmark process itself (which is then the producer).
   */
  cpuMs(): number | null;
  /** CPU milliseconds the Redis server has used so far. */
  redisCpuMs(): Promise<number>;
  /**
   * SIGKILLs the worker processes and waits until they are gone.
   *
   * @param replica - only this one (0-based) of the service's `--replicas`
   *   processes; the other targets have one worker and ignore it
   */
  kill(replica?: number): Promise<void>;
  /**
   * Starts the worker processes again and waits until they are ready.
   *
   * @param replica - only this one of the service's processes, as for `kill`
   */
  restart(replica?: number): Promise<RestartTimes>;
  /** Stops every process, then deletes the stream and the Redis keys. Safe to call twice. */
  close(): Promise<void>;
}

/** Options of a target. */
export interface TargetOptions {
  /** Names the space, e.g. `ingest-service`. */
  label: string;
  /**
   * Whether expirations fire. Off for ingest and capacity: the raw targets
   * then start no worker (the service and the baseline always process).
   */
  worker: boolean;
}
