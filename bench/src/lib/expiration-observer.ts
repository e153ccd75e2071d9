import { Subjects, type EventSubscription, type JetStreamBus } from '@grider-ms-tickets/common';
import { FiringLog } from './firing-log';

/**
 * The benchmark's view of expiration:complete, as a downstream service sees it.
 *
 * `stored` comes from a durable JetStream consumer: what the orders service
 * would receive, after JetStream dropped duplicates by message id. `wire` comes
 * from a plain NATS subscription to the same subject: every publish that
 * reached the server, including those the stream then dropped as duplicates
 * (core NATS is at-most-once, so it may miss a few during a NATS restart).
 */
export class ExpirationObserver {
  private constructor(
    readonly stored: FiringLog,
    readonly wire: FiringLog,
    private readonly subscription: EventSubscription,
    private readonly unsubscribeWire: () => void,
  ) {}

  /**
   * Subscribes before anything is published.
   *
   * @param bus - connected to the space's stream
   * @returns once the consumer is registered
   */
  static async start(bus: JetStreamBus): Promise<ExpirationObserver> {
    const stored = new FiringLog();
    const wireLog = new FiringLog();
    const wire = bus.connection.subscribe(bus.wireSubject(Subjects.ExpirationComplete), {
      callback: (err, msg) => {
        if (err) return;
        const at = Date.now();
        const orderId = parseOrderId(msg.string());
        if (orderId) wireLog.record(orderId, at);
      },
    });
    const subscription = await bus.subscribe(
      { subject: Subjects.ExpirationComplete, queueGroupName: 'bench-observer', ackWait: 30_000, maxInFlight: 1024 },
      async (msg) => {
        const at = Date.now();
        const orderId = parseOrderId(String(msg.getData()));
        if (orderId) stored.record(orderId, at, msg.getSequence());
        msg.ack();
      },
    );
    return new ExpirationObserver(stored, wireLog, subscription, () => wire.unsubscribe());
  }

  /** Stops both subscriptions. */
  async close(): Promise<void> {
    this.unsubscribeWire();
    await this.subscription.close();
  }
}

function parseOrderId(json: string): string | undefined {
  try {
    const orderId = (JSON.parse(json) as { orderId?: unknown }).orderId;
    return typeof orderId === 'string' ? orderId : undefined;
  } catch {
    return undefined;
  }
}
