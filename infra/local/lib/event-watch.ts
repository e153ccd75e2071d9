import { Subjects, validateEvent, type JetStreamBus, type eventSchemas } from '@grider-ms-tickets/common';
import type { z } from 'zod';
import { WaitTimeoutError } from './wait-timeout-error';

/** The payload type of a subject. */
export type EventData<S extends Subjects> = z.output<(typeof eventSchemas)[S]>;

/** An event seen on the bus, with the time it arrived here. */
export interface SeenEvent<S extends Subjects = Subjects> {
  subject: S;
  data: EventData<S>;
  /** `Date.now()` at arrival. */
  at: number;
}

interface Waiter {
  test(event: SeenEvent): boolean;
  resolve(event: SeenEvent): void;
}

/**
 * Watches subjects on the wire with plain NATS subscriptions, next to the
 * services' durable consumers and without touching them: every message
 * JetStream stores is also delivered to core subscribers of its subject. Each
 * valid event is kept, so a wait that starts after the event still finds it.
 */
export class EventWatch {
  private readonly events: SeenEvent[] = [];
  private readonly waiters = new Set<Waiter>();
  private readonly listeners = new Set<(event: SeenEvent) => void>();
  private readonly subscriptions: { unsubscribe(): void }[] = [];

  private constructor(private readonly bus: JetStreamBus) {}

  /**
   * Subscribes to every subject, and returns once the server has the subscriptions.
   *
   * @param bus - a connected JetStream bus; its subject prefix is honoured
   * @param subjects - what to watch, every subject by default
   * @returns the watch
   */
  static async start(bus: JetStreamBus, subjects: readonly Subjects[] = Object.values(Subjects)): Promise<EventWatch> {
    const watch = new EventWatch(bus);
    for (const subject of subjects) {
      watch.subscriptions.push(
        bus.connection.subscribe(bus.wireSubject(subject), {
          callback: (err, msg) => {
            if (err) return;
            let payload: unknown;
            try {
              payload = JSON.parse(msg.string());
            } catch {
              return;
            }
            const result = validateEvent(subject, payload);
            if (result.ok) watch.add({ subject, data: result.data, at: Date.now() });
          },
        }),
      );
    }
    // After the flush the server has registered the subscriptions: nothing published later is missed.
    await bus.connection.flush();
    return watch;
  }

  /**
   * Calls `listener` with every event from now on.
   *
   * @param listener - receives each event
   */
  onEvent(listener: (event: SeenEvent) => void): void {
    this.listeners.add(listener);
  }

  /**
   * @param subject - the subject
   * @param predicate - which event
   * @returns the first such event seen so far
   */
  find<S extends Subjects>(subject: S, predicate: (data: EventData<S>) => boolean): SeenEvent<S> | undefined {
    return this.events.find((e): e is SeenEvent<S> => e.subject === subject && predicate(e.data as EventData<S>));
  }

  /**
   * Waits for an event: resolves at once if it was already seen.
   *
   * @param subject - the subject
   * @param predicate - which event
   * @param options - the deadline (`until`, epoch ms), a description for the error, and an abort signal
   * @returns the event
   * @throws WaitTimeoutError when the deadline passes or the signal aborts
   */
  waitFor<S extends Subjects>(
    subject: S,
    predicate: (data: EventData<S>) => boolean,
    options: { until: number; what: string; signal?: AbortSignal },
  ): Promise<SeenEvent<S>> {
    const seen = this.find(subject, predicate);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test: (e) => e.subject === subject && predicate(e.data as EventData<S>),
        resolve: (e) => {
          cleanup();
          resolve(e as SeenEvent<S>);
        },
      };
      const onAbort = () => {
        cleanup();
        reject(new WaitTimeoutError(`stopped while waiting for ${options.what}: ${abortReason(options.signal)}`));
      };
      const timer = setTimeout(
        () => {
          cleanup();
          reject(new WaitTimeoutError(`${options.what} did not happen in time`));
        },
        Math.max(0, options.until - Date.now()),
      );
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        options.signal?.removeEventListener('abort', onAbort);
      };
      if (options.signal?.aborted) {
        onAbort();
        return;
      }
      options.signal?.addEventListener('abort', onAbort);
      this.waiters.add(waiter);
    });
  }

  /**
   * Waits until a durable consumer of the stream has handled everything stored
   * for it: nothing pending and nothing awaiting an ack. Called after an event
   * was seen, it returns once the consumer's service has acked that event.
   *
   * @param durable - such as `orders-service:ticket:created`
   * @param options - deadline, description, abort signal
   * @throws WaitTimeoutError when the deadline passes (the message says what the consumer still had)
   */
  async waitConsumed(durable: string, options: { until: number; what: string; signal?: AbortSignal }): Promise<void> {
    let last = 'no answer from JetStream';
    for (;;) {
      if (options.signal?.aborted) {
        throw new WaitTimeoutError(`stopped while waiting for ${options.what}: ${abortReason(options.signal)}`);
      }
      const info = await this.consumerInfo(durable);
      if (info.kind === 'found') {
        if (info.numPending === 0 && info.numAckPending === 0) return;
        last = `${durable} still has ${info.numPending} pending and ${info.numAckPending} unacked`;
        if (info.numRedelivered > 0) {
          last += `, ${info.numRedelivered} of them being retried (older messages it can't handle yet, such as for orders a memory store lost on a restart)`;
        }
      } else if (info.kind === 'missing') {
        last = `the stream ${this.bus.stream} has no consumer ${durable} (is the service listening?)`;
      }
      if (Date.now() >= options.until) throw new WaitTimeoutError(`${options.what} did not happen in time: ${last}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Unsubscribes and drops the waiters. The bus stays open. */
  close(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions.length = 0;
    this.listeners.clear();
  }

  private add(event: SeenEvent): void {
    this.events.push(event);
    for (const listener of this.listeners) listener(event);
    for (const waiter of [...this.waiters]) {
      if (waiter.test(event)) waiter.resolve(event);
    }
  }

  private async consumerInfo(
    durable: string,
  ): Promise<
    | { kind: 'found'; numPending: number; numAckPending: number; numRedelivered: number }
    | { kind: 'missing' }
    | { kind: 'error' }
  > {
    const answer = await jetStreamApi(this.bus, `CONSUMER.INFO.${this.bus.stream}.${durable}`);
    if (!answer) return { kind: 'error' };
    if (answer.error) return answer.error.code === 404 ? { kind: 'missing' } : { kind: 'error' };
    return {
      kind: 'found',
      numPending: Number(answer.num_pending),
      numAckPending: Number(answer.num_ack_pending),
      numRedelivered: Number(answer.num_redelivered ?? 0),
    };
  }
}

/**
 * Calls the JetStream API over plain request-reply ($JS.API.*), the protocol
 * every client speaks underneath; common's bus does not expose its manager.
 * See https://docs.nats.io/reference/reference-protocols/nats_api_reference.
 *
 * @param bus - a connected bus
 * @param api - the subject after `$JS.API.`, such as `STREAM.DELETE.demo`
 * @returns the JSON answer, or undefined when none came
 */
export async function jetStreamApi(
  bus: JetStreamBus,
  api: string,
): Promise<(Record<string, unknown> & { error?: { code: number; description: string } }) | undefined> {
  try {
    const reply = await bus.connection.request(`$JS.API.${api}`, '', { timeout: 2_000 });
    return reply.json();
  } catch {
    return undefined;
  }
}

/**
 * Deletes a stream and its consumers (a test's or the demo's own).
 *
 * @param bus - a connected bus
 * @param stream - the stream's name
 * @returns whether it is gone
 */
export async function deleteStream(bus: JetStreamBus, stream: string): Promise<boolean> {
  const answer = await jetStreamApi(bus, `STREAM.DELETE.${stream}`);
  return answer?.success === true || answer?.error?.code === 404;
}

/**
 * @param signal - an aborted signal
 * @returns why, in words: the message of an Error reason, or the reason itself
 */
export function abortReason(signal: AbortSignal | undefined): string {
  const reason: unknown = signal?.reason;
  if (reason instanceof Error) return reason.message;
  return reason === undefined ? 'aborted' : String(reason);
}
