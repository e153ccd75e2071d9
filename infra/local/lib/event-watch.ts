import { JetStreamApiCodes, JetStreamApiError, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Subjects, validateEvent, type JetStreamBus, type eventSchemas } from '@grider-ms-tickets/common';
import type { z } from 'zod';

/** The payload type of a subject. */
export type EventData<S extends Subjects> = z.output<(typeof eventSchemas)[S]>;

/** An event seen on the bus, with the time it arrived here. */
export interface SeenEvent<S extends Subjects = Subjects> {
  subject: S;
  data: EventData<S>;
  /** `Date.now()` at arrival. */
  at: number;
}

/**
 * Watches every subject with plain NATS subscriptions, next to the services'
 * durable consumers and without touching them: every message JetStream stores
 * is also delivered to core subscribers of its subject. It keeps each valid
 * event, so that a wait that starts after the event still finds it.
 */
export class EventWatch {
  readonly events: SeenEvent[] = [];
  private readonly subscriptions: { unsubscribe(): void }[] = [];

  private constructor(
    private readonly bus: JetStreamBus,
    private readonly jsm: JetStreamManager,
    private readonly onEvent: (event: SeenEvent) => void,
  ) {}

  /** Subscribes, honouring the bus's subject prefix, and returns once the server has the subscriptions. */
  static async start(bus: JetStreamBus, onEvent: (event: SeenEvent) => void = () => undefined): Promise<EventWatch> {
    const watch = new EventWatch(bus, await jetstreamManager(bus.connection), onEvent);
    for (const subject of Object.values(Subjects)) {
      const subscription = bus.connection.subscribe(bus.wireSubject(subject), {
        callback: (err, msg) => {
          let result: ReturnType<typeof validateEvent> | undefined;
          try {
            result = err ? undefined : validateEvent(subject, JSON.parse(msg.string()));
          } catch {
            return; // not JSON: not one of ours
          }
          if (!result?.ok) return;
          const event: SeenEvent = { subject, data: result.data, at: Date.now() };
          watch.events.push(event);
          watch.onEvent(event);
        },
      });
      watch.subscriptions.push(subscription);
    }
    await bus.connection.flush();
    return watch;
  }

  /** @returns the first event on `subject` that `predicate` picks, seen so far */
  find<S extends Subjects>(subject: S, predicate: (data: EventData<S>) => boolean): SeenEvent<S> | undefined {
    return this.events.find((e): e is SeenEvent<S> => e.subject === subject && predicate(e.data as EventData<S>));
  }

  /**
   * @returns undefined once a service's durable consumer has handled everything stored for it (nothing pending,
   *   nothing awaiting an ack); otherwise why not
   */
  async backlog(durable: string): Promise<string | undefined> {
    try {
      const info = await this.jsm.consumers.info(this.bus.stream, durable);
      if (info.num_pending === 0 && info.num_ack_pending === 0) return undefined;
      const retried = info.num_redelivered
        ? `, ${info.num_redelivered} of them being retried (older messages it can't handle yet, such as for orders a memory store lost on a restart)`
        : '';
      return `${durable} still has ${info.num_pending} pending and ${info.num_ack_pending} unacked${retried}`;
    } catch (err) {
      if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.ConsumerNotFound) {
        return `the stream ${this.bus.stream} has no consumer ${durable} (is the service listening?)`;
      }
      return `no answer from JetStream (${(err as Error).message})`;
    }
  }

  /** Unsubscribes. The bus stays open. */
  close(): void {
    for (const subscription of this.subscriptions.splice(0)) subscription.unsubscribe();
  }
}
