import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The states of the queue whose sizes `/metrics` reports. */
export const QUEUE_STATES = ['delayed', 'waiting', 'active', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** The window of {@link ExpirationMetrics}' `expiration_due_next_minute`. */
export const DUE_WINDOW_MS = 60_000;

/** What the gauges read from the queue and its Redis on every scrape. */
export interface QueueReadings {
  /** The size of each queue state. */
  counts(): Promise<Record<QueueState, number>>;
  /** How many delayed jobs fall due from now until `withinMs` from now. */
  dueWithin(withinMs: number): Promise<number>;
  /** Redis's `used_memory` and `maxmemory` (0: no limit), in bytes. */
  redisMemory(): Promise<{ usedBytes: number; maxBytes: number }>;
}

/**
 * The Prometheus metrics of the expiration service. Each instance has its own
 * registry rather than prom-client's global one, so that several services can
 * run in one test process without "metric already registered" errors.
 */
export class ExpirationMetrics {
  readonly registry = new Registry();

  /** order:created events that created a job. */
  readonly jobsScheduled = new Counter({
    name: 'expiration_jobs_scheduled_total',
    help: 'Expiration jobs created from order:created events.',
    registers: [this.registry],
  });

  /** order:created events whose job already existed (a redelivery or a duplicate). */
  readonly duplicatesIgnored = new Counter({
    name: 'expiration_duplicates_ignored_total',
    help: 'order:created events ignored because the order already had an expiration job.',
    registers: [this.registry],
  });

  /** expiration:complete events acknowledged by NATS. */
  readonly expirationsPublished = new Counter({
    name: 'expiration_published_total',
    help: 'expiration:complete events published and acknowledged by NATS.',
    registers: [this.registry],
  });

  /** Publishes that failed; each one is retried with backoff. */
  readonly publishFailures = new Counter({
    name: 'expiration_publish_failures_total',
    help: 'Failed publishes of expiration:complete (each is retried with backoff).',
    registers: [this.registry],
  });

  /** Orders whose pending job was removed, or whose job was skipped, because the order was cancelled. */
  readonly cancelled = new Counter({
    name: 'expiration_cancelled_total',
    help: 'Expirations dropped because their order was cancelled.',
    registers: [this.registry],
  });

  /** Events acked and dropped because their payload can never be valid. */
  readonly invalidEvents = new Counter({
    name: 'expiration_invalid_events_total',
    help: 'Events dropped because their payload was invalid.',
    labelNames: ['subject'] as const,
    registers: [this.registry],
  });

  /**
   * Events given up on: their handler failed on every one of the
   * `EVENT_MAX_DELIVERIES` deliveries, or their payload can never be valid.
   * Each one was published on the `dead-letter` subject, to be listed and
   * replayed with `npm run dead-letters -w expiration`.
   */
  readonly deadLetters = new Counter({
    name: 'expiration_dead_letters_total',
    help: 'Events published as dead letters (handler failed on every allowed delivery, or payload invalid), by subject.',
    labelNames: ['subject'] as const,
    registers: [this.registry],
  });

  /**
   * Events not acked because fewer Redis replicas than `REDIS_WAIT_REPLICAS`
   * confirmed their writes in time (or the connection was lost before they
   * did); each one is redelivered and waits again.
   */
  readonly redisWaitShortfalls = new Counter({
    name: 'expiration_redis_wait_shortfalls_total',
    help: 'Batches of order:created and order:cancelled events not acked because too few Redis replicas confirmed their writes in time (REDIS_WAIT_REPLICAS); each is redelivered.',
    labelNames: ['subject'] as const,
    registers: [this.registry],
  });

  /** Publish time minus the order's expiresAt. */
  readonly lateness = new Histogram({
    name: 'expiration_lateness_seconds',
    help: 'Time from an order expiresAt to the acknowledged publish of its expiration:complete.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  // The gauges below read Redis on each scrape. When Redis is unreachable they
  // keep their last values rather than fail the whole scrape; /readyz reports
  // the outage.

  private readonly queueJobs = new Gauge({
    name: 'expiration_queue_jobs',
    help: 'Jobs in the order:expiration queue, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: () =>
      this.read(async (source) => {
        const counts = await source.counts();
        for (const state of QUEUE_STATES) this.queueJobs.set({ state }, counts[state]);
      }),
  });

  private readonly dueNextMinute: Gauge = new Gauge({
    name: 'expiration_due_next_minute',
    help: 'Delayed expiration jobs that fall due within the next 60 seconds.',
    registers: [this.registry],
    collect: () => this.read(async (source) => this.dueNextMinute.set(await source.dueWithin(DUE_WINDOW_MS))),
  });

  private readonly redisUsedMemory: Gauge = new Gauge({
    name: 'expiration_redis_used_memory_bytes',
    help: 'Memory Redis has allocated for its data (INFO memory used_memory).',
    registers: [this.registry],
    collect: () => this.read(async () => this.redisUsedMemory.set((await this.redisMemoryOfThisScrape()).usedBytes)),
  });

  private readonly redisMaxMemory: Gauge = new Gauge({
    name: 'expiration_redis_maxmemory_bytes',
    help: 'The maxmemory limit of Redis (INFO memory maxmemory); 0 means no limit.',
    registers: [this.registry],
    collect: () => this.read(async () => this.redisMaxMemory.set((await this.redisMemoryOfThisScrape()).maxBytes)),
  });

  private source?: QueueReadings;
  private memoryReading?: Promise<{ usedBytes: number; maxBytes: number }>;

  /** @param options - `defaultMetrics` adds prom-client's process metrics (CPU, memory, event loop) */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Sets where the queue and Redis gauges read from on each scrape.
   *
   * @param source - the queue's readings, such as the `ExpirationQueue`
   */
  trackQueue(source: QueueReadings): void {
    this.source = source;
  }

  /** Runs one gauge's reading, if there is a source; a failed reading leaves the gauge as it was. */
  private async read(update: (source: QueueReadings) => Promise<void>): Promise<void> {
    if (!this.source) return;
    try {
      await update(this.source);
    } catch {
      // See above: the last value stays.
    }
  }

  /**
   * One `INFO memory` for both memory gauges: prom-client collects every
   * metric of a scrape at once, so the second finds the first's reading in
   * flight and shares it.
   */
  private redisMemoryOfThisScrape(): Promise<{ usedBytes: number; maxBytes: number }> {
    const source = this.source as QueueReadings;
    this.memoryReading ??= source.redisMemory().finally(() => {
      this.memoryReading = undefined;
    });
    return this.memoryReading;
  }
}
