import type { Event } from './base-event';
import { ListenerBase, errorMessage } from './listener-base';
import type { EventMessage } from '../bus/event-bus';

export type { ListenerOptions } from './listener-base';

/**
 * Receives one subject as a member of a durable queue group, one message at a
 * time, with the course's API: set `subject` and `queueGroupName`, write
 * `onMessage`, call `listen()`. (To handle many messages in one unit of work,
 * extend {@link BatchListener} instead.)
 *
 * Beyond the course, every payload is checked against its subject's schema
 * before `onMessage` sees it. A payload that can never succeed (not JSON, a
 * missing field, a date that does not parse, too large) is logged with its
 * subject, sequence and reason, published as a dead letter and acked, so it
 * can't block the consumer and an operator can replay it after a fix.
 *
 * An error thrown by `onMessage` is caught and logged; the message is not acked
 * and comes back (with a growing delay on JetStream), and the connection lives
 * on. Redelivery is bounded: when the handler throws or naks on delivery
 * `maxDeliveries`, or the message comes back after it (its ack wait ran out),
 * the message is published on {@link DEAD_LETTER_SUBJECT} and acked. If that
 * publish fails, the message is nak'ed and the dead letter is tried again on
 * its next delivery.
 *
 * @typeParam T - the event type, such as `OrderCreatedEvent`
 */
export abstract class Listener<T extends Event> extends ListenerBase<T> {
  /**
   * Handles one valid event. Ack `msg` when the work is done; throw (or don't
   * ack) to have it redelivered.
   *
   * @param data - the payload, already validated
   * @param msg - the message, to `ack()`
   */
  abstract onMessage(data: T['data'], msg: EventMessage): void | Promise<void>;

  protected override async handleValidMessage(data: T['data'], msg: EventMessage): Promise<void> {
    const last = this.isLastDelivery(msg);
    let nakked = false;
    try {
      await this.onMessage(data, last ? withNakHook(msg, () => (nakked = true)) : msg);
    } catch (err) {
      return this.giveBack(msg, `handler failed: ${errorMessage(err)}`, err);
    }
    if (nakked) {
      await this.deadLetter(msg, `the handler nak'ed it on delivery ${msg.getDeliveryCount()}, the last allowed`);
    }
  }
}

/**
 * The message as the handler sees it on its last allowed delivery: the same,
 * except that `nak()` is reported to the listener (which dead-letters the
 * message) instead of bringing it back.
 */
function withNakHook(msg: EventMessage, onNak: () => void): EventMessage {
  return new Proxy(msg, {
    get(target, property) {
      if (property === 'nak') return () => onNak();
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
