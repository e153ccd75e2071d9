import { Subjects } from '@grider-ms-tickets/common';
import { Counter, Registry, collectDefaultMetrics } from 'prom-client';
import type { OrderEventSubject } from './store';

/** The state changes of an order that `orders_transitions_total` counts, by label. */
export const TRANSITIONS = [
  'created',
  'cancelled_by_expiration',
  'cancelled_by_user',
  'cancelled_by_sweep',
  'completed',
] as const;
export type Transition = (typeof TRANSITIONS)[number];

const EVENT_SUBJECTS: readonly OrderEventSubject[] = [Subjects.OrderCreated, Subjects.OrderCancelled];

/**
 * The Prometheus metrics of the orders service, served on `/metrics`. Each
 * instance has its own registry rather than prom-client's global one, so that
 * several services can run in one test process without "metric already
 * registered" errors.
 */
export class OrdersMetrics {
  readonly registry = new Registry();

  /** Saved state changes, counted by the domain use-cases. */
  readonly transitions = new Counter({
    name: 'orders_transitions_total',
    help: 'Order state changes saved, by transition.',
    labelNames: ['transition'] as const,
    registers: [this.registry],
  });

  /** Orders the sweeper cancelled: each one means an expiration was lost upstream. */
  readonly swept = new Counter({
    name: 'orders_swept_total',
    help: 'Unpaid orders cancelled by the sweeper after their expiry and grace period (a lost expiration).',
    registers: [this.registry],
  });

  /** Publishes that failed; the event stays owed and the sweeper publishes it. */
  readonly publishFailures = new Counter({
    name: 'orders_event_publish_failures_total',
    help: 'Failed publishes of order events; each stays owed in the store until a later publish is acknowledged.',
    labelNames: ['subject'] as const,
    registers: [this.registry],
  });

  /** Owed events the sweeper published, because their first publish failed or never happened. */
  readonly owedEventsPublished = new Counter({
    name: 'orders_owed_events_published_total',
    help: 'Owed order events published by the sweeper after the first publish failed or never happened.',
    labelNames: ['subject'] as const,
    registers: [this.registry],
  });

  /** @param options - `defaultMetrics` adds prom-client's process metrics (CPU, memory, event loop) */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    // Every series exists from the start at 0, so that rate() and alerts see them before the first event.
    for (const transition of TRANSITIONS) this.transitions.inc({ transition }, 0);
    for (const subject of EVENT_SUBJECTS) {
      this.publishFailures.inc({ subject }, 0);
      this.owedEventsPublished.inc({ subject }, 0);
    }
  }
}
