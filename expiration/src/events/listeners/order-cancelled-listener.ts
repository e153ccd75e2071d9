import {
  Listener,
  Subjects,
  correlationIdOf,
  type DeadLetter,
  type EventClient,
  type EventMessage,
  type ListenerOptions,
  type OrderCancelledEvent,
} from '@grider-ms-tickets/common';
import type { ExpirationMetrics } from '../../metrics';
import type { PeriodicSummary } from '../../periodic-summary';
import type { CancelResult, ExpirationQueue } from '../../queues/expiration-queue';
import { ReplicaShortfallError } from '../../queues/replica-shortfall-error';
import { ingestSummary, type IngestTally } from './ingest-summary';
import { queueGroupName } from './queue-group-name';
import { orderIdOf } from './order-id-of';

/** Options of an {@link OrderCancelledListener}. */
export interface OrderCancelledListenerOptions extends ListenerOptions {
  expirations: Pick<ExpirationQueue, 'cancelExpiration'>;
  metrics: ExpirationMetrics;
  /**
   * Where cancellations are counted for the summary line.
   *
   * @defaultValue {@link ingestSummary} of the logger
   */
  summary?: PeriodicSummary<IngestTally>;
}

/**
 * Drops the expiration of a cancelled order: its pending job is removed, and
 * the cancellation is remembered so that neither an order:created arriving
 * after it nor a job that is already running publishes expiration:complete.
 */
export class OrderCancelledListener extends Listener<OrderCancelledEvent> {
  readonly subject = Subjects.OrderCancelled;
  readonly queueGroupName = queueGroupName;
  protected override maxInFlight = 16;
  protected override ackWait = 30_000;
  private readonly expirations: OrderCancelledListenerOptions['expirations'];
  private readonly metrics: ExpirationMetrics;
  private readonly summary: PeriodicSummary<IngestTally>;

  constructor(client: EventClient, options: OrderCancelledListenerOptions) {
    super(client, options);
    this.expirations = options.expirations;
    this.metrics = options.metrics;
    this.summary = options.summary ?? ingestSummary(this.logger);
  }

  async onMessage(data: OrderCancelledEvent['data'], msg: EventMessage): Promise<void> {
    const orderId = data.id;
    const correlationId = correlationIdOf(msg);
    let result: CancelResult;
    try {
      result = await this.expirations.cancelExpiration(orderId);
    } catch (err) {
      if (err instanceof ReplicaShortfallError) {
        this.metrics.redisWaitShortfalls.inc({ subject: this.subject });
        this.logger.warn(
          { orderId, correlationId, err: err.message },
          'cancellation recorded, but too few Redis replicas confirmed it; it will be redelivered',
        );
      }
      throw err;
    }
    if (result === 'removed') this.metrics.cancelled.inc();
    this.summary.tally().cancellations++;
    this.logger.debug({ orderId, correlationId, result }, 'order cancelled; expiration dropped');
    msg.ack();
  }

  protected override onInvalidMessage(reason: string, msg: EventMessage): void {
    this.metrics.invalidEvents.inc({ subject: this.subject });
    this.logger.warn(
      { orderId: orderIdOf(msg), correlationId: correlationIdOf(msg), reason },
      'bad order:cancelled dropped',
    );
  }

  protected override onDeadLetter(letter: DeadLetter): void {
    this.metrics.deadLetters.inc({ subject: letter.subject });
  }
}
