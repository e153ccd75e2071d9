import type { EventMessage } from '../bus/event-bus';

/**
 * How one delivery of a message ended:
 *
 * - `handled`: the handler did its work and the message was acked;
 * - `invalid`: the payload can never succeed (not JSON, against its schema,
 *   too large); it was published as a dead letter and acked;
 * - `retried`: the message was given back and comes back later: the handler
 *   threw or nak'ed it, or returned without acking it (it comes back after its
 *   ack wait), or its dead letter could not be published;
 * - `dead_lettered`: the handler kept failing up to the last allowed delivery
 *   (or the message came back past it); it was published as a dead letter and acked.
 */
export type DeliveryOutcome = 'handled' | 'invalid' | 'retried' | 'dead_lettered';

/** Every {@link DeliveryOutcome}, for a service that creates its metric series up front. */
export const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['handled', 'invalid', 'retried', 'dead_lettered'];

/** How a {@link Delivery} is found from the view of its message, and through proxies around that view. */
const DELIVERY = Symbol('delivery');

/**
 * One delivery of a message, from its arrival to its outcome. The handler
 * sees {@link Delivery.view}, which reads and settles the delivered message
 * and notes the first `ack()` or `nak()`; the listener's own paths (dead
 * letter, give back) note their outcome on it.
 */
export class Delivery {
  /** The message as handlers see it. */
  readonly view: EventMessage;
  /** Set when the payload was found invalid, so that its dead letter counts as `invalid`. */
  invalid = false;
  private noted?: DeliveryOutcome;
  private settledBy?: 'ack' | 'nak';

  constructor(msg: EventMessage) {
    const ack = (): void => {
      this.settledBy ??= 'ack';
      msg.ack();
    };
    const nak = (delayMs?: number): void => {
      this.settledBy ??= 'nak';
      msg.nak(delayMs);
    };
    this.view = new Proxy(msg, {
      get: (target, property) => {
        if (property === DELIVERY) return this;
        if (property === 'ack') return ack;
        if (property === 'nak') return nak;
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
  }

  /**
   * @param msg - a message a listener is working on
   * @returns its delivery, when the message is (a view of) a delivery's view
   */
  static of(msg: EventMessage): Delivery | undefined {
    // A hand-made message in a course-style test may be a plain object without the symbol.
    const delivery = (msg as unknown as Record<symbol, unknown>)[DELIVERY];
    return delivery instanceof Delivery ? delivery : undefined;
  }

  /** Notes the outcome the listener decided; the first one counts. */
  settle(outcome: DeliveryOutcome): void {
    this.noted ??= outcome;
  }

  /**
   * @returns the outcome the listener noted, or else what the handler did: an
   *   ack is `handled`; a nak, or neither (the message comes back after its
   *   ack wait), is `retried`
   */
  outcome(): DeliveryOutcome {
    return this.noted ?? (this.settledBy === 'ack' ? 'handled' : 'retried');
  }
}
