import type { EventBus } from '../bus/event-bus';
import type { HealthCheck } from './health';

/**
 * A liveness check for `createHealthRouter({ liveness })`: it fails once the bus
 * has been down for longer than the grace period, so that Kubernetes restarts
 * a pod whose connection does not come back. A short outage (a NATS restart)
 * passes; the client reconnects by itself within it.
 *
 * @param bus - the service's bus
 * @param graceMs - how long the bus may be down: `config.eventBus.downGraceMs`
 *   (`EVENT_BUS_DOWN_GRACE_SECONDS`)
 * @returns the check
 */
export function busLiveness(bus: Pick<EventBus, 'downForMs'>, graceMs: number): HealthCheck {
  return () => bus.downForMs() <= graceMs;
}
