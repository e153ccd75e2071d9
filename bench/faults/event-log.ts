import type { EventSubscription, JetStreamBus, Subjects } from '@grider-ms-tickets/common';

/** One event as a downstream consumer received it. */
export interface RecordedEvent {
  /** Its stream sequence. */
  seq: number;
  /** When it was received, epoch milliseconds. */
  at: number;
  data: Record<string, unknown>;
}

/**
 * What a downstream service would receive on some subjects: a durable
 * JetStream consumer per subject (queue group `faults-recorder`), so that
 * nothing published while the suite's own connection is down is missed, and
 * JetStream's duplicate window has already dropped a publish repeated with
 * the same message id. A redelivery of a stored message is recorded once.
 */
export class EventLog {
  private readonly events = new Map<string, RecordedEvent[]>();
  private readonly seen = new Set<number>();
  /** Epoch milliseconds of the latest record, 0 before the first. */
  lastAt = 0;

  private constructor(private readonly subscriptions: EventSubscription[] = []) {}

  /**
   * Subscribes before anything is published.
   *
   * @param bus - connected to the scenario's stream
   * @param subjects - the subjects to record
   * @returns once every consumer is registered
   */
  static async start(bus: JetStreamBus, subjects: readonly Subjects[]): Promise<EventLog> {
    const log = new EventLog();
    for (const subject of subjects) {
      log.events.set(subject, []);
      log.subscriptions.push(
        await bus.subscribe(
          { subject, queueGroupName: 'faults-recorder', ackWait: 30_000, maxInFlight: 256 },
          async (msg) => {
            log.record(subject, msg.getSequence(), String(msg.getData()));
            msg.ack();
          },
        ),
      );
    }
    return log;
  }

  /**
   * @param subject - a recorded subject
   * @param field - a field of the payload, such as `orderId`
   * @param value - its value
   * @returns the events of that subject whose field has that value, in the order received
   */
  about(subject: Subjects, field: string, value: string): RecordedEvent[] {
    return (this.events.get(subject) ?? []).filter((e) => e.data[field] === value);
  }

  /** Stops every consumer. */
  async close(): Promise<void> {
    await Promise.all(this.subscriptions.map((s) => s.close()));
  }

  private record(subject: string, seq: number, payload: string): void {
    if (this.seen.has(seq)) return;
    this.seen.add(seq);
    const at = Date.now();
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(payload) as Record<string, unknown>;
    } catch {
      data = { unparsable: payload };
    }
    this.events.get(subject)?.push({ seq, at, data });
    this.lastAt = at;
  }
}
