import {
  Listener,
  correlationIdOf,
  type Event,
  type EventClient,
  type EventMessage,
  type Logger,
} from '@grider-ms-tickets/common';

/**
 * Listens to one subject as another service would, and records every payload,
 * so a test can wait for what the orders service published.
 */
export class EventRecorder<E extends Event = Event> extends Listener<E> {
  queueGroupName = 'test-recorder';
  readonly received: E['data'][] = [];
  /** The correlation id of each received event, in the same order (undefined when it had none). */
  readonly correlationIds: (string | undefined)[] = [];

  /**
   * @param client - the bus
   * @param subject - the subject to record
   * @param logger - where the listener logs
   */
  constructor(
    client: EventClient,
    readonly subject: E['subject'],
    logger: Logger,
  ) {
    super(client, { logger });
  }

  onMessage(data: E['data'], msg: EventMessage): void {
    this.received.push(data);
    this.correlationIds.push(correlationIdOf(msg));
    msg.ack();
  }
}
