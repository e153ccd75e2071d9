import type { Stan } from 'node-nats-streaming';
import { isEventBus, type EventBus } from './event-bus';
import { StanBus } from './stan-bus';

/**
 * What listeners and publishers accept: an {@link EventBus}, or a raw
 * node-nats-streaming client as the course passes them.
 */
export type EventClient = EventBus | Stan;

/**
 * @param client - a bus or a raw node-nats-streaming client
 * @returns the bus, wrapping a raw client once
 */
export function toEventBus(client: EventClient): EventBus {
  return isEventBus(client) ? client : StanBus.wrap(client);
}
