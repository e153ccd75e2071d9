import { DELIVERY_OUTCOMES, Subjects, type DeliveryReport } from '@grider-ms-tickets/common';
import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
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

/** The subjects the listeners of the orders service receive, which `orders_events_total` counts. */
export const LISTENED_SUBJECTS: readonly Subjects[] = [
  Subjects.TicketCreated,
  Subjects.TicketUpdated,
  Subjects.ExpirationComplete,
  Subjects.PaymentCreated,
];

/** The `route` label of a request that matched no route. */
export const UNMATCHED_ROUTE = 'unmatched';

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

  /**
   * HTTP requests to the API, timed from their arrival to the end of their
   * response. `route` is the route's pattern, such as `/api/orders/:orderId`,
   * never the raw path, so that each order does not make a series of its own.
   */
  readonly httpRequestDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help:
      'HTTP requests by method, route pattern (unmatched: no route matched) and status code (499: the client ' +
      'closed the connection first), from arrival to the end of the response. The probes and /metrics are not counted.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });

  /** Deliveries to the listeners, by how each one ended (see `ListenerOptions.onOutcome`). */
  readonly events = new Counter({
    name: 'orders_events_total',
    help:
      'Event deliveries to the listeners by subject and outcome: handled; invalid (can never succeed, dead-lettered); ' +
      'retried (given back, comes again); dead_lettered (failed up to the last delivery).',
    labelNames: ['subject', 'outcome'] as const,
    registers: [this.registry],
  });

  /**
   * Counts one delivery in `orders_events_total`: the `onOutcome` of every listener.
   *
   * @param report - the subject and outcome
   */
  readonly countDelivery = (report: Pick<DeliveryReport, 'subject' | 'outcome'>): void => {
    this.events.inc({ subject: report.subject, outcome: report.outcome });
  };

  /** @param options - `defaultMetrics` adds prom-client's process metrics (CPU, memory, event loop) */
  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    // Every series exists from the start at 0, so that rate() and alerts see them before the first event.
    for (const transition of TRANSITIONS) this.transitions.inc({ transition }, 0);
    for (const subject of EVENT_SUBJECTS) {
      this.publishFailures.inc({ subject }, 0);
      this.owedEventsPublished.inc({ subject }, 0);
    }
    for (const subject of LISTENED_SUBJECTS) {
      for (const outcome of DELIVERY_OUTCOMES) this.events.inc({ subject, outcome }, 0);
    }
  }
}
