import type { FiringLog } from '../lib/firing-log';
import type { BenchOrder } from '../lib/orders';
import { round, summarize } from '../lib/stats';
import { sleep } from '../lib/wait';
import type { Metrics } from './scenario';

/**
 * Waits until every order has fired once, or until `deadline`; what has not
 * fired by then counts as lost.
 *
 * @param firings - what the observer saw
 * @param count - how many orders were created in this space
 * @param deadline - epoch milliseconds
 */
export async function waitAllFired(firings: FiringLog, count: number, deadline: number): Promise<void> {
  while (firings.distinct < count && Date.now() < deadline) await sleep(10);
}

/**
 * Lateness of each order's first expiration:complete after its expiresAt.
 *
 * @param firings - what the observer saw
 * @param orders - the orders
 * @returns lateness in ms of the orders that fired
 */
export function lateness(firings: FiringLog, orders: readonly BenchOrder[]): number[] {
  const values: number[] = [];
  for (const order of orders) {
    const first = firings.first(order.id);
    if (first !== undefined) values.push(first - order.expiresAt);
  }
  return values;
}

/** Lost orders and duplicate expirations, as the observer counts them. */
export function deliveryCounts(firings: FiringLog, orders: readonly BenchOrder[], wire?: FiringLog): Metrics {
  return {
    lost: orders.length - firings.seenOf(orders),
    duplicates: firings.duplicates,
    // Publishes JetStream dropped by message id never reach a consumer; the
    // plain NATS subscription still sees them.
    duplicatePublishes: wire ? Math.max(0, wire.records - wire.distinct) : null,
  };
}

/** p50, p99 and max of a set of lateness values, rounded to 0.1 ms. */
export function latenessMetrics(values: readonly number[]): Metrics {
  const s = summarize(values);
  return { p50Ms: round(s.p50), p90Ms: round(s.p90), p99Ms: round(s.p99), maxMs: round(s.max), minMs: round(s.min) };
}
