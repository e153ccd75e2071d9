import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** The states of the queue whose sizes `/metrics` reports. */
export const QUEUE_STATES = ['delayed', 'waiting', 'active', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** Reads the current size of each queue state; called on every scrape. */
export type QueueCountsReader = () => Promise<Record<QueueState, number>>;

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

  /** Publish time minus the order's expiresAt. */
  readonly lateness = new Histogram({
    name: 'expiration_lateness_seconds',
    help: 'Time from an order expiresAt to the acknowledged publish of its expiration:complete.',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  private readonly queueJobs = new Gauge({
    name: 'expiration_queue_jobs',
    help: 'Jobs in the order:expiration queue, by state.',
    labelNames: ['state'] as const,
    registers: [this.registry],
    collect: async () => {
      if (!this.readCounts) return;
      try {
        const counts = await this.readCounts();
        for (const state of QUEUE_STATES) this.queueJobs.set({ state }, counts[state]);
      } catch {
        // Redis is unreachable: keep the last values rather than fail the whole
        // scrape; /readyz reports the outage.
      }
    },
  });

  private readCounts?: QueueCountsReader;

  /** @param options - `defaultMetrics` adds prom-client's process metrics (CPU, memory, event loop) */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
  }

  /**
   * Sets where the queue gauges read from on each scrape.
   *
   * @param reader - returns the current counts
   */
  trackQueue(reader: QueueCountsReader): void {
    this.readCounts = reader;
  }
}
