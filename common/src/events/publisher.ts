import type { Event } from './base-event';
import { InvalidEventError } from './invalid-event-error';
import { validateEvent } from './schemas';
import { toEventBus, type EventClient } from '../bus/to-event-bus';

/**
 * Publishes one subject, with the course's API: set `subject`, call
 * `publish(data)`. The payload is checked against its subject's schema first,
 * and the promise resolves only once the server has acknowledged the message.
 *
 * @typeParam T - the event type, such as `ExpirationCompleteEvent`
 */
export abstract class Publisher<T extends Event> {
  /** The subject published to. */
  abstract subject: T['subject'];
  /** What the publisher was built with, a bus or a raw NATS Streaming client. */
  protected client: EventClient;

  /** @param client - an event bus, or a connected node-nats-streaming client */
  constructor(client: EventClient) {
    this.client = client;
  }

  /**
   * Sends one event.
   *
   * @param data - the payload
   * @returns once the server has acknowledged it
   * @throws InvalidEventError when `data` breaks the subject's schema
   * @throws the transport's error when the server can't be reached or doesn't ack
   */
  async publish(data: T['data']): Promise<void> {
    const result = validateEvent(this.subject, data);
    if (!result.ok) throw new InvalidEventError(this.subject, result.reason);
    await toEventBus(this.client).publish(this.subject, JSON.stringify(data), { msgId: this.messageId(data) });
  }

  /**
   * An idempotency key for an event. JetStream keeps one message per key within
   * the stream's duplicate window, so a retried publish is not a second event.
   * None by default, because most events may legitimately repeat.
   *
   * @param _data - the payload
   * @returns the key, or undefined for none
   */
  protected messageId(_data: T['data']): string | undefined {
    return undefined;
  }
}
