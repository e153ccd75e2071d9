import {
  Listener,
  Subjects,
  type EventClient,
  type EventMessage,
  type ListenerOptions,
  type OrderCreatedEvent,
} from '@grider-ms-tickets/common';
import type { ExpirationMetrics } from '../../metrics';
import type { ExpirationQueue } from '../../queues/expiration-queue';
import { queueGroupName } from './queue-group-name';
import { orderIdOf } from './order-id-of';

/** Options of an {@link OrderCreatedListener}. */
export interface OrderCreatedListenerOptions extends ListenerOptions {
  expirations: Pick<ExpirationQueue, 'scheduleExpiration'>;
  metrics: ExpirationMetrics;
}

/**
 * Schedules an order's expiration when the order is created. The message is
 * acked only once the job is stored in Redis; if Redis fails, the handler
 * throws and the message comes back. A redelivered or duplicate event finds the
 * job already there (one job per order, see `expirationJobId`) and changes nothing.
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

  constructor(client: EventClient, options: OrderCreatedListenerOptions) {
    super(client, options);
    this.expirations = options.expirations;
    this.metrics = options.metrics;
  }

  async onMessage(data: OrderCreatedEvent['data'], msg: EventMessage): Promise<void> {
    const orderId = data.id;
    const result = await this.expirations.scheduleExpiration(orderId, new Date(data.expiresAt));
    switch (result.outcome) {
      case 'scheduled':
        this.metrics.jobsScheduled.inc();
        this.logger.info({ orderId, expiresAt: data.expiresAt, delayMs: result.delayMs }, 'expiration scheduled');
        break;
      case 'duplicate':
        this.metrics.duplicatesIgnored.inc();
        this.logger.info(
          { orderId, state: result.state, deliveries: msg.getDeliveryCount() },
          'order already has an expiration; duplicate ignored',
        );
        break;
      case 'cancelled':
        this.metrics.cancelled.inc();
        this.logger.info({ orderId }, 'order was already cancelled; no expiration scheduled');
        break;
    }
    msg.ack();
  }

  protected override onInvalidMessage(reason: string, msg: EventMessage): void {
    this.metrics.invalidEvents.inc({ subject: this.subject });
    this.logger.warn({ orderId: orderIdOf(msg), reason }, 'bad order:created dropped');
  }
}
