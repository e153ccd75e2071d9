import {
  BatchListener,
  Subjects,
  correlationIdOf,
  type BatchItem,
  type DeadLetter,
  type EventClient,
  type EventMessage,
  type ListenerOptions,
  type OrderCreatedEvent,
} from '@grider-ms-tickets/common';
import type { ExpirationMetrics } from '../../metrics';
import type { PeriodicSummary } from '../../periodic-summary';
import type { ExpirationQueue, ScheduleResult } from '../../queues/expiration-queue';
import { ReplicaShortfallError } from '../../queues/replica-shortfall-error';
import { ingestSummary, type IngestTally } from './ingest-summary';
import { queueGroupName } from './queue-group-name';
import { orderIdOf } from './order-id-of';

/**
 * The most orders stored in one batch: one check script over all of them,
 * then one MULTI of Bull's add script for the new ones. Past a few hundred
 * the round trips saved per order stop mattering, while Redis, which runs a
 * script or a MULTI without serving anyone else, would be held longer (about
 * 10 µs per add, so some 5 ms for 500).
 */
export const ORDER_CREATED_MAX_BATCH = 500;

/**
 * How long a batch gathers after its first message. Under a burst a pull
 * brings many messages at once and the batch fills long before; on a quiet
 * day an order waits this long before it is stored, which is nothing against
 * a reservation of minutes.
 */
export const ORDER_CREATED_MAX_WAIT_MS = 5;

/**
 * Messages held at once: two full batches, so that one gathers while the
 * other is stored. JetStream pulls only for free slots, so nothing beyond
 * this waits in the client while its ack wait runs.
 */
export const ORDER_CREATED_MAX_IN_FLIGHT = 2 * ORDER_CREATED_MAX_BATCH;

/**
 * The shortest ack wait: what the one-message listener had, and longer than
 * ioredis takes to give up on a command while Redis reconnects.
 */
const MIN_ACK_WAIT_MS = 30_000;

/**
 * Redis round trips of one batch at worst, each bounded by the command
 * timeout: the check script and the add, each sent again in full when Redis
 * answers NOSCRIPT (its scripts were flushed while the connection was up;
 * ioredis resends a script once).
 */
const ROUND_TRIPS_PER_BATCH = 4;

/**
 * Batches one message's handling may span: its own, and one ahead of it that
 * holds a copy of the same order, which the scheduler waits for (see
 * `ExpirationScheduler`). A longer chain takes copies of several orders
 * linking three batches in flight at once; should one run past the ack wait,
 * NATS redelivers its messages, which find their jobs and count as duplicates.
 */
const BATCHES_PER_MESSAGE = 2;

/** Room for gathering, a busy event loop and the ack's own trip to NATS. */
const ACK_WAIT_MARGIN_MS = 5_000;

/**
 * The ack wait of order:created: longer than a batch can take when every
 * Redis command of it times out, so that a slow or hung Redis fails the batch
 * (and the listener gives it back with its own backoff) rather than NATS
 * redelivering messages that are still being handled, which would put copies
 * of them in later batches. 45 s with the default 5 s command timeout. With
 * `REDIS_WAIT_REPLICAS` above 0, each batch also waits up to
 * `REDIS_WAIT_TIMEOUT_MS` for the replicas (and a PUBLISH before it, bounded
 * by the command timeout).
 *
 * @param commandTimeoutMs - `REDIS_COMMAND_TIMEOUT_MS`
 * @param replicaWaitMs - `REDIS_WAIT_TIMEOUT_MS` when writes wait for replicas, else 0
 * @returns milliseconds
 */
export function orderCreatedAckWaitMs(commandTimeoutMs: number, replicaWaitMs = 0): number {
  const perBatch =
    ROUND_TRIPS_PER_BATCH * commandTimeoutMs + (replicaWaitMs > 0 ? replicaWaitMs + commandTimeoutMs : 0);
  return Math.max(MIN_ACK_WAIT_MS, BATCHES_PER_MESSAGE * perBatch + ACK_WAIT_MARGIN_MS);
}

/** The default of `REDIS_COMMAND_TIMEOUT_MS` (see `config.ts`). */
const DEFAULT_REDIS_COMMAND_TIMEOUT_MS = 5_000;

/** Options of an {@link OrderCreatedListener}. */
export interface OrderCreatedListenerOptions extends ListenerOptions {
  expirations: Pick<ExpirationQueue, 'scheduleExpirations'>;
  metrics: ExpirationMetrics;
  /**
   * The general Redis connection's command timeout, from which the ack wait
   * is derived (see {@link orderCreatedAckWaitMs}).
   *
   * @defaultValue 5000, the default of `REDIS_COMMAND_TIMEOUT_MS`
   */
  redisCommandTimeoutMs?: number;
  /**
   * `REDIS_WAIT_TIMEOUT_MS` when writes wait for replicas
   * (`REDIS_WAIT_REPLICAS` above 0), which lengthens the ack wait.
   *
   * @defaultValue 0: writes don't wait for replicas
   */
  redisReplicaWaitMs?: number;
  /**
   * Where scheduled orders are counted for the summary line; the service
   * shares one between its listeners and flushes it at shutdown.
   *
   * @defaultValue {@link ingestSummary} of the logger
   */
  summary?: PeriodicSummary<IngestTally>;
}

/**
 * Schedules the expirations of new orders, a batch at a time: the orders that
 * arrived together are stored with one check script and one `addBulk`
 * (`ExpirationScheduler.scheduleExpirations`), with the correlation id of each
 * order:created in its job.
 *
 * What is acked, and when:
 * - every message of a batch is acked only once the batch's jobs are stored;
 * - if Redis fails the batch, the handler throws: no message of it is acked,
 *   and each comes back (with the listener's backoff, at most `maxDeliveries`
 *   times before it is dead-lettered); the retry finds what a half-finished
 *   attempt stored and schedules nothing twice;
 * - an order the scheduler refuses on its own (an impossible id or date) is
 *   given back alone, and the rest of its batch is acked;
 * - an invalid payload never reaches the batch: it is dead-lettered on its own
 *   by `BatchListener`;
 * - a copy of an order (the same order twice in a batch, a redelivery, a
 *   duplicate publish) finds its job and is acked and counted as a duplicate.
 */
export class OrderCreatedListener extends BatchListener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName = queueGroupName;
  protected override maxBatch = ORDER_CREATED_MAX_BATCH;
  protected override maxWaitMs = ORDER_CREATED_MAX_WAIT_MS;
  protected override maxInFlight = ORDER_CREATED_MAX_IN_FLIGHT;
  private readonly expirations: OrderCreatedListenerOptions['expirations'];
  private readonly metrics: ExpirationMetrics;
  private readonly summary: PeriodicSummary<IngestTally>;

  constructor(client: EventClient, options: OrderCreatedListenerOptions) {
    super(client, options);
    this.ackWait = orderCreatedAckWaitMs(
      options.redisCommandTimeoutMs ?? DEFAULT_REDIS_COMMAND_TIMEOUT_MS,
      options.redisReplicaWaitMs,
    );
    this.expirations = options.expirations;
    this.metrics = options.metrics;
    this.summary = options.summary ?? ingestSummary(this.logger);
  }

  async onBatch(items: BatchItem<OrderCreatedEvent>[]): Promise<void> {
    const requests = items.map(({ data, msg }) => ({
      orderId: data.id,
      expiresAt: new Date(data.expiresAt),
      correlationId: correlationIdOf(msg),
    }));
    let results: ScheduleResult[];
    try {
      results = await this.expirations.scheduleExpirations(requests);
    } catch (err) {
      if (err instanceof ReplicaShortfallError) this.metrics.redisWaitShortfalls.inc({ subject: this.subject });
      // BatchListener logs the failure with the messages' sequences; this
      // line names their orders, so that grep on an order or correlation id
      // finds it.
      this.logger.warn(
        {
          err: err instanceof Error ? err.message : String(err),
          orderIds: requests.map((r) => r.orderId),
          correlationIds: requests.flatMap((r) => r.correlationId ?? []),
        },
        'scheduling a batch of expirations failed; its orders will be redelivered',
      );
      throw err;
    }
    const counts = { scheduled: 0, duplicates: 0, alreadyCancelled: 0 };
    results.forEach((result, i) => {
      const { orderId, correlationId } = requests[i];
      switch (result.outcome) {
        case 'scheduled':
          counts.scheduled++;
          this.logger.debug(
            { orderId, correlationId, expiresAt: items[i].data.expiresAt, delayMs: result.delayMs },
            'expiration scheduled',
          );
          break;
        case 'duplicate':
          counts.duplicates++;
          // At info, unlike the ordinary case: a duplicate is a redelivery or a
          // copy, rare in a healthy system, and each one is worth finding.
          this.logger.info(
            { orderId, correlationId, deliveries: items[i].msg.getDeliveryCount() },
            'order already has an expiration; duplicate ignored',
          );
          break;
        case 'cancelled':
          counts.alreadyCancelled++;
          this.logger.debug({ orderId, correlationId }, 'order was already cancelled; no expiration scheduled');
          break;
        case 'rejected':
          // Given back alone; on its last allowed delivery it is dead-lettered
          // with this reason, so it leaves a trace an operator can replay.
          this.logger.warn(
            { orderId, correlationId, err: result.error.message },
            'order:created refused by the scheduler; given back',
          );
          items[i].fail(result.error);
          break;
      }
    });
    // Counted once per batch rather than once per order: a batch is up to 500.
    this.metrics.jobsScheduled.inc(counts.scheduled);
    this.metrics.duplicatesIgnored.inc(counts.duplicates);
    this.metrics.cancelled.inc(counts.alreadyCancelled);
    if (counts.scheduled + counts.duplicates + counts.alreadyCancelled === 0) return;
    const tally = this.summary.tally();
    tally.scheduled += counts.scheduled;
    tally.duplicates += counts.duplicates;
    tally.alreadyCancelled += counts.alreadyCancelled;
  }

  protected override onInvalidMessage(reason: string, msg: EventMessage): void {
    this.metrics.invalidEvents.inc({ subject: this.subject });
    this.logger.warn(
      { orderId: orderIdOf(msg), correlationId: correlationIdOf(msg), reason },
      'bad order:created dropped',
    );
  }

  protected override onDeadLetter(letter: DeadLetter): void {
    this.metrics.deadLetters.inc({ subject: letter.subject });
  }
}
