import { cancelOrder } from '../domain/cancel-order';
import type { DomainDependencies } from '../domain/domain-dependencies';
import { publishOwedEvents } from '../domain/publish-owed-events';
import { VersionConflictError } from '../store';

/** Options of an {@link OrderSweeper}. */
export interface OrderSweeperOptions extends DomainDependencies {
  /** Time between the end of one pass and the start of the next (`ORDERS_SWEEP_INTERVAL_SECONDS`). */
  intervalMs: number;
  /** How long past its expiresAt an unpaid order is left to the expiration service (`EXPIRATION_GRACE_SECONDS`). */
  graceMs: number;
  /**
   * Owed events younger than this are left to the request or listener that
   * saved them, which is publishing them right now.
   *
   * @defaultValue 10000
   */
  owedEventDelayMs?: number;
  /**
   * Orders read per query.
   *
   * @defaultValue 100
   */
  batchSize?: number;
  /**
   * Queries per pass for each kind of work, which bounds a pass; what is left
   * waits for the next one.
   *
   * @defaultValue 20
   */
  maxBatchesPerPass?: number;
  /**
   * The clock, in ms since the epoch.
   *
   * @defaultValue Date.now
   */
  now?: () => number;
}

/** What one pass did. */
export interface SweepResult {
  /** Overdue orders this pass cancelled. */
  swept: number;
  /** Overdue orders someone else changed first (another replica, the listener, a payment): left to them. */
  skipped: number;
  /** Owed events published. */
  owedPublished: number;
  /** Whether the pass ran into a failure (a publish, the store) and left work for the next one. */
  failed: boolean;
}

/**
 * The safety net under the expiration service and the event publishes. Every
 * interval, one pass:
 *
 * 1. publishes every event owed for longer than `owedEventDelayMs` (an
 *    order:created or order:cancelled whose publish failed, or whose process
 *    died between the save and the publish), oldest first;
 * 2. cancels every order still unpaid (`created` or `awaiting:payment`) more
 *    than `graceMs` after its expiresAt, exactly as an expiration:complete
 *    would, through cancelOrder, and publishes its order:cancelled. Each one
 *    means an expiration was lost upstream (a Redis without persistence, a
 *    lost order:created): it is logged at warn level and counted in
 *    `orders_swept_total`.
 *
 * Several replicas may sweep at once. The version-checked save makes that
 * safe: of two cancels of one order, one fails with a VersionConflictError
 * and is skipped, so an order is cancelled once and its order:cancelled
 * carries one version. Work is read in batches of `batchSize`, at most
 * `maxBatchesPerPass` per kind; a failed publish ends the publishing of that
 * pass (NATS is likely down), while overdue orders are still cancelled, their
 * events left owed for the next pass.
 */
export class OrderSweeper {
  private readonly deps: DomainDependencies;
  private readonly intervalMs: number;
  private readonly graceMs: number;
  private readonly owedEventDelayMs: number;
  private readonly batchSize: number;
  private readonly maxBatchesPerPass: number;
  private readonly now: () => number;
  private timer?: NodeJS.Timeout;
  private running?: Promise<SweepResult>;
  private stopping = false;

  /** @param options - dependencies, timing and batch sizes */
  constructor(options: OrderSweeperOptions) {
    const { store, bus, logger, metrics } = options;
    this.deps = { store, bus, logger, metrics };
    this.intervalMs = options.intervalMs;
    this.graceMs = options.graceMs;
    this.owedEventDelayMs = options.owedEventDelayMs ?? 10_000;
    this.batchSize = options.batchSize ?? 100;
    this.maxBatchesPerPass = options.maxBatchesPerPass ?? 20;
    this.now = options.now ?? Date.now;
  }

  /** Starts sweeping: the first pass one interval from now, then one interval after the end of each pass. */
  start(): void {
    if (this.timer || this.stopping) return;
    this.schedule();
  }

  /** Stops sweeping and waits for a pass in progress, which ends after the order it is working on. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
  }

  /**
   * Runs one pass now, or joins the one in progress. It never throws: a
   * failure is logged and leaves the rest for the next pass.
   *
   * @returns what the pass did
   */
  sweep(): Promise<SweepResult> {
    this.running ??= this.pass().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private schedule(): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sweep().then(() => {
        if (!this.stopping) this.schedule();
      });
    }, this.intervalMs);
    // The sweeper never keeps a process alive on its own; shutdown stops it.
    this.timer.unref();
  }

  private async pass(): Promise<SweepResult> {
    const result: SweepResult = { swept: 0, skipped: 0, owedPublished: 0, failed: false };
    try {
      const natsFailed = !(await this.publishOwedEvents(result));
      await this.cancelOverdueOrders(result, !natsFailed);
    } catch (err) {
      result.failed = true;
      this.deps.logger.error({ err }, 'sweep failed; the next one will try again');
    }
    if (result.swept > 0 || result.owedPublished > 0 || result.failed) {
      this.deps.logger.info({ ...result }, 'sweep done');
    }
    return result;
  }

  /** @returns false when a publish failed, so the pass publishes nothing more */
  private async publishOwedEvents(result: SweepResult): Promise<boolean> {
    const before = new Date(this.now() - this.owedEventDelayMs);
    for (let batch = 0; batch < this.maxBatchesPerPass; batch++) {
      const orders = await this.deps.store.orders.findOwingEvents(before, this.batchSize);
      for (const order of orders) {
        if (this.stopping) return true;
        const { ok, published } = await publishOwedEvents(this.deps, order);
        for (const event of published) {
          this.deps.metrics.owedEventsPublished.inc({ subject: event.subject });
          this.deps.logger.warn(
            {
              orderId: order.id,
              subject: event.subject,
              version: event.version,
              owedForMs: this.now() - event.since.getTime(),
              correlationId: order.correlationId,
            },
            'published an owed order event; its first publish failed or never happened',
          );
        }
        result.owedPublished += published.length;
        if (!ok) {
          result.failed = true;
          return false;
        }
      }
      if (orders.length < this.batchSize) break;
    }
    return true;
  }

  /**
   * @param publish - false once NATS failed in this pass: cancels are saved
   *   with their owed events, which the next pass publishes
   */
  private async cancelOverdueOrders(result: SweepResult, publish: boolean): Promise<void> {
    const before = new Date(this.now() - this.graceMs);
    for (let batch = 0; batch < this.maxBatchesPerPass; batch++) {
      const orders = await this.deps.store.orders.findOverdue(before, this.batchSize);
      for (const order of orders) {
        if (this.stopping) return;
        let outcome;
        try {
          outcome = await cancelOrder(this.deps, order, { reason: 'sweep', publish });
        } catch (err) {
          if (!(err instanceof VersionConflictError)) throw err;
          // Another replica's sweeper, the expiration listener or a payment got there first.
          result.skipped += 1;
          this.deps.logger.debug({ orderId: order.id }, 'overdue order changed meanwhile; left to whoever changed it');
          continue;
        }
        if (outcome.kind !== 'cancelled') continue;
        result.swept += 1;
        this.deps.metrics.swept.inc();
        this.deps.logger.warn(
          {
            orderId: order.id,
            expiresAt: order.expiresAt.toISOString(),
            overdueSeconds: Math.round((this.now() - order.expiresAt.getTime()) / 1000),
            correlationId: order.correlationId,
          },
          'cancelled an order still reserved past its expiry; its expiration was lost upstream',
        );
        if (publish && !outcome.published) {
          result.failed = true;
          publish = false;
        }
      }
      if (orders.length < this.batchSize) break;
    }
  }
}
