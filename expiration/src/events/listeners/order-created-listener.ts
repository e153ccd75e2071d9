import {
  Listener,
  Subjects,
  type DeadLetter,
  type EventClient,
  type EventMessage,
  type ListenerOptions,
  type OrderCreatedEvent,
} from '@grider-ms-tickets/common';
import type { ExpirationMetrics } from '../../metrics';
import type { PeriodicSummary } from '../../periodic-summary';
import type { ExpirationQueue } from '../../queues/expiration-queue';
import { ingestSummary, type IngestTally } from './ingest-summary';
import { queueGroupName } from './queue-group-name';
import { orderIdOf } from './order-id-of';

/** Options of an {@link OrderCreatedListener}. */
export interface OrderCreatedListenerOptions extends ListenerOptions {
  expirations: Pick<ExpirationQueue, 'scheduleExpiration'>;
  metrics: ExpirationMetrics;
  /**
   * Where scheduled orders are counted for the summary line; the service
   * shares one between its listeners and flushes it at shutdown.
   *
   * @defaultValue {@link ingestSummary} of the logger
   */
  summary?: PeriodicSummary<IngestTally>;
}

/**
 * Schedules an order's expiration when the order is created. The message is
 * acked only once the job is stored in Redis; if Redis fails, the handler
 * throws and the message comes back, at most `maxDeliveries` times before it
 * is dead-lettered. A redelivered or duplicate event finds the job already
 * there (one job per order, see `expirationJobId`) and changes nothing.
 *
 * Each order goes through the scheduler's batch path as a batch of one: a
 * local micro-batch would make one failing order fail, and in the end
 * dead-letter, the orders batched with it, so batching waits for a listener
 * that acks and fails messages one by one.
 */
export class OrderCreatedListener extends Listener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName = queueGroupName;
  // A burst of orders is stored many at a time rather than one awaited add
  // after another; each add is independent (one key per order).
  protected override maxInFlight = 64;
  // Longer than ioredis takes to give up on a command while Redis reconnects,
  // so a slow Redis does not cause redeliveries on top of the retries.
  protected override ackWait = 30_000;
  private readonly expirations: OrderCreatedListenerOptions['expirations'];
  private readonly metrics: ExpirationMetrics;
  private readonly summary: PeriodicSummary<IngestTally>;

  constructor(client: EventClient, options: OrderCreatedListenerOptions) {
    super(client, options);
    this.expirations = options.expirations;
    this.metrics = options.metrics;
    this.summary = options.summary ?? ingestSummary(this.logger);
  }

  async onMessage(data: OrderCreatedEvent['data'], msg: EventMessage): Promise<void> {
    const orderId = data.id;
    const result = await this.expirations.scheduleExpiration(orderId, new Date(data.expiresAt));
    switch (result.outcome) {
      case 'scheduled':
        this.metrics.jobsScheduled.inc();
        this.summary.tally().scheduled++;
        this.logger.debug({ orderId, expiresAt: data.expiresAt, delayMs: result.delayMs }, 'expiration scheduled');
        break;
      case 'duplicate':
        this.metrics.duplicatesIgnored.inc();
        this.summary.tally().duplicates++;
        // At info, unlike the ordinary case: a duplicate is a redelivery or a
        // copy, rare in a healthy system, and each one is worth finding.
        this.logger.info(
          { orderId, deliveries: msg.getDeliveryCount() },
          'order already has an expiration; duplicate ignored',
        );
        break;
      case 'cancelled':
        this.metrics.cancelled.inc();
        this.summary.tally().alreadyCancelled++;
        this.logger.debug({ orderId }, 'order was already cancelled; no expiration scheduled');
        break;
    }
    msg.ack();
  }

  protected override onInvalidMessage(reason: string, msg: EventMessage): void {
    this.metrics.invalidEvents.inc({ subject: this.subject });
    this.logger.warn({ orderId: orderIdOf(msg), reason }, 'bad order:created dropped');
  }

  protected override onDeadLetter(letter: DeadLetter): void {
    this.metrics.deadLetters.inc({ subject: letter.subject });
  }
}
