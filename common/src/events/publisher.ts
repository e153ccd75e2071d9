import type { Event } from './base-event';
import { CORRELATION_ID_HEADER, isCorrelationId } from './correlation';
import { InvalidEventError } from './invalid-event-error';
import { validateEvent } from './schemas';
import { toEventBus, type EventClient } from '../bus/to-event-bus';

/** Options of {@link Publisher.publish}. */
export interface EventPublishOptions {
  /**
   * The id of the request that started this work, sent in the
   * {@link CORRELATION_ID_HEADER} header so that the listeners can log it. An
   * id that is not 1 to 128 visible ASCII characters is left out. Only
   * JetStream carries headers; NATS Streaming drops it.
   */
  correlationId?: string;
}

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
   * @param options - the correlation id to send along
   * @returns once the server has acknowledged it
   * @throws InvalidEventError when `data` breaks the subject's schema
   * @throws the transport's error when the server can't be reached or doesn't ack
   */
  async publish(data: T['data'], options: EventPublishOptions = {}): Promise<void> {
    const result = validateEvent(this.subject, data);
    if (!result.ok) throw new InvalidEventError(this.subject, result.reason);
    const { correlationId } = options;
    await toEventBus(this.client).publish(this.subject, JSON.stringify(data), {
      msgId: this.messageId(data),
      // Only when there is one, so that a publish without it looks as it always did.
      ...(isCorrelationId(correlationId) ? { headers: { [CORRELATION_ID_HEADER]: correlationId } } : {}),
    });
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
