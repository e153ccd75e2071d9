import type { Queue } from 'bull';
import type Redis from 'ioredis';
import { isCorrelationId, isEventId } from '@grider-ms-tickets/common';
import type { Cancellations } from './cancellations';
import type { ReplicaWait } from './replica-wait';
import { OrderChecks } from './order-checks';
import { jobOptionsFor, type ExpirationJobData, type ExpirationJobPlacement } from './expiration-job';
import { expirationJobId, legacyExpirationJobId } from './expiration-job-id';

/** One order to schedule. */
export interface ExpirationRequest {
  orderId: string;
  /** When its reservation ends; a past date fires at once. */
  expiresAt: Date;
  /**
   * The id of the request that created the order, stored with its job so that
   * the expiration is published and logged with it. One that is not a usable
   * correlation id (see `isCorrelationId`) is left out; the order is still scheduled.
   */
  correlationId?: string;
}

/** What the scheduler did with one order. */
export type ScheduleResult =
  /** A job was stored; it fires in `delayMs`. */
  | { outcome: 'scheduled'; delayMs: number }
  /**
   * The order already has a job (pending, done within the retention window,
   * or failed), or it came earlier in the same batch.
   */
  | { outcome: 'duplicate' }
  /** The order was cancelled before its order:created arrived. */
  | { outcome: 'cancelled' }
  /**
   * The request itself is impossible: its order id is not an event id, or its
   * date is not a date. Nothing was stored or looked up for it, and a retry of
   * the same request would fail the same way. The others of the batch are not
   * affected.
   */
  | { outcome: 'rejected'; error: RangeError };

/** What an {@link ExpirationScheduler} works with. */
export interface ExpirationSchedulerOptions {
  /** The Bull queue: its key names, and `addBulk` (or `add`, for one job) to store the jobs. */
  queue: Pick<Queue<ExpirationJobData>, 'toKey' | 'add' | 'addBulk'>;
  /** The general Redis connection, for the checks. */
  client: Redis;
  /** The registry of cancelled orders, whose sorted set the checks read. */
  cancellations: Pick<Cancellations, 'key'>;
  /**
   * Makes each batch wait, after its writes, until `REDIS_WAIT_REPLICAS`
   * replicas hold them; it must wrap the connection of the queue's `add`.
   * None: a batch is done once the master has it.
   */
  replicaWait?: Pick<ReplicaWait, 'afterWrites'>;
}

/**
 * Stores the delayed jobs of new orders, a batch at a time, with two round
 * trips per batch whatever its size: one script that checks every order for
 * a recorded cancellation and an existing job (under `order:<orderId>`, and
 * under the bare order id as an earlier version named it; see
 * `OrderChecks`), then one `addBulk`, a MULTI/EXEC of Bull's add script, for
 * the new ones (a plain `add` when there is only one).
 *
 * Failures and retries: a request that is impossible in itself (an id that is
 * not an event id, a date that is not a date) is answered `rejected` on its
 * own, and the rest of the batch is stored. If either round trip fails, the
 * whole call throws and the caller redelivers the whole batch. Nothing is left
 * half-stored in a way a retry would double: the MULTI/EXEC stores all of the
 * batch's jobs or none, and if it ran but its reply was lost, the retry finds
 * the jobs in its checks and reports them as duplicates; Bull's add script
 * also returns early for a job id that exists, so even two instances racing
 * on one order store one job.
 *
 * With `REDIS_WAIT_REPLICAS` set, a batch is done only once that many
 * replicas hold it (see `ReplicaWait`); if they don't confirm in time, the
 * call throws a `ReplicaShortfallError` and the batch is retried like any
 * failed one: its jobs are found and reported as duplicates, and the retry
 * waits for the replicas again.
 *
 * A cancellation that lands between the checks and the add does not stop the
 * job from being stored; it stops the expiration: the processor reads the
 * cancellation before it publishes (see `Cancellations`).
 */
export class ExpirationScheduler {
  /** The batch being stored for each order, so that a later one waits for it. */
  private readonly inFlight = new Map<string, Promise<void>>();

  private readonly checks: OrderChecks;

  /** @param options - queue, Redis and the cancellation registry */
  constructor(private readonly options: ExpirationSchedulerOptions) {
    this.checks = new OrderChecks(options.client, options.cancellations.key);
  }

  /**
   * Schedules one order: a batch of one.
   *
   * @param orderId - the order
   * @param expiresAt - when its reservation ends; a past date fires at once
   * @param correlationId - the id of the request that created the order, stored with the job
   * @returns what was done
   * @throws RangeError, before any Redis work, when the order id is not an event id or the date is invalid
   * @throws the Redis error when a round trip fails
   */
  async scheduleExpiration(orderId: string, expiresAt: Date, correlationId?: string): Promise<ScheduleResult> {
    const [result] = await this.scheduleExpirations([{ orderId, expiresAt, correlationId }]);
    if (result.outcome === 'rejected') throw result.error;
    return result;
  }

  /**
   * Creates the job of each order that has none and was not cancelled. An
   * order given twice in one batch is one job; its second copy is a duplicate.
   * A request that is impossible in itself (see {@link ScheduleResult}'s
   * `rejected`) is answered as such, without Redis work, and the others go on.
   *
   * @param requests - the orders, each with its expiresAt and correlation id
   * @returns one result per request, in the same order
   * @throws the Redis error when a round trip fails; then the whole batch must be retried
   */
  scheduleExpirations(requests: readonly ExpirationRequest[]): Promise<ScheduleResult[]> {
    const { firsts, rejected } = sortRequests(requests);
    const orderIds = [...firsts.keys()];
    const unique = [...firsts.values()].map((i) => requests[i]);
    // Copies of one order:created handled at the same time (two batches of
    // the listener in flight) would all pass the checks before either had
    // added, and all report "scheduled". Waiting for the batch already storing
    // an order lets the later one see its job. Across instances two copies can
    // still race; Bull's add keeps that to one job all the same.
    const before = new Set(orderIds.flatMap((id) => this.inFlight.get(id) ?? []));
    let stored: Promise<Map<string, ScheduleResult>>;
    if (unique.length === 0) stored = Promise.resolve(new Map());
    else if (before.size === 0) stored = this.store(unique);
    else stored = Promise.allSettled(before).then(() => this.store(unique));
    const settled = stored.then(
      () => undefined,
      () => undefined,
    );
    for (const id of orderIds) this.inFlight.set(id, settled);
    void settled.then(() => {
      for (const id of orderIds) if (this.inFlight.get(id) === settled) this.inFlight.delete(id);
    });
    return stored.then((byOrder) =>
      requests.map(
        (request, i): ScheduleResult =>
          rejected.get(i) ??
          // Only the first copy of an order carries its result.
          (firsts.get(request.orderId) === i
            ? (byOrder.get(request.orderId) as ScheduleResult)
            : { outcome: 'duplicate' }),
      ),
    );
  }

  private store(requests: readonly ExpirationRequest[]): Promise<Map<string, ScheduleResult>> {
    const { replicaWait } = this.options;
    if (!replicaWait) return this.write(requests);
    // A batch that stored no job rests on jobs and cancellations that other
    // writes made, perhaps on another connection: fence it, so that WAIT
    // covers them too.
    return replicaWait.afterWrites(
      () => this.write(requests),
      (results) => ![...results.values()].some((result) => result.outcome === 'scheduled'),
    );
  }

  private async write(requests: readonly ExpirationRequest[]): Promise<Map<string, ScheduleResult>> {
    const { queue } = this.options;
    const found = await this.checks.check(
      requests.map(({ orderId }) => {
        const legacyJobId = legacyExpirationJobId(orderId);
        return {
          orderId,
          jobKey: queue.toKey(expirationJobId(orderId)),
          legacyJobKey: legacyJobId === undefined ? undefined : queue.toKey(legacyJobId),
        };
      }),
    );
    const results = new Map<string, ScheduleResult>();
    const jobs: Array<{ data: ExpirationJobData; opts: ExpirationJobPlacement }> = [];
    const now = Date.now();
    requests.forEach(({ orderId, expiresAt, correlationId }, i) => {
      if (found[i] === 'cancelled') {
        results.set(orderId, { outcome: 'cancelled' });
      } else if (found[i] === 'exists') {
        results.set(orderId, { outcome: 'duplicate' });
      } else {
        const opts = jobOptionsFor(orderId, expiresAt, now);
        jobs.push({ data: jobDataOf(orderId, correlationId), opts });
        results.set(orderId, { outcome: 'scheduled', delayMs: opts.delay });
      }
    });
    if (jobs.length > 0) await addAll(queue, jobs);
    return results;
  }
}

/**
 * Stores jobs in one round trip: `addBulk`, one MULTI/EXEC of Bull's add
 * script, or `add` for a single job. Both are atomic, so a failure stores all
 * of the jobs or none. The single job skips the MULTI because it costs more
 * than the add itself: a second ioredis pipeline per call, onto which ioredis
 * copies every one of Bull's scripts, and two more commands (measured by
 * bench/src/experiments/schedule-batch-cost.ts: with it, one-by-one scheduling
 * took about half as long again). Bull's `addBulk` does not fail when one of
 * the MULTI's commands does (it only leaves that job without an id), so each
 * id is checked here: one that is missing fails the batch, and its retry finds
 * the others stored.
 */
async function addAll(
  queue: Pick<Queue<ExpirationJobData>, 'add' | 'addBulk'>,
  jobs: Array<{ data: ExpirationJobData; opts: ExpirationJobPlacement }>,
): Promise<void> {
  const added = jobs.length === 1 ? [await queue.add(jobs[0].data, jobs[0].opts)] : await queue.addBulk(jobs);
  const missing = jobs.filter((job, i) => added[i]?.id === undefined || String(added[i].id) !== job.opts.jobId);
  if (missing.length > 0) {
    throw new Error(
      `redis did not store ${missing.length} of ${jobs.length} expiration jobs (first: ${missing[0].opts.jobId})`,
    );
  }
}

/**
 * Checks every request on its own. The ids and dates come from validated
 * events, so a bad one is a bug upstream; it is rejected alone, so that the
 * batch it came in is still stored.
 *
 * @returns the index of each order's first valid request, keyed by order id,
 *   and the result of each rejected request, keyed by its index
 */
function sortRequests(requests: readonly ExpirationRequest[]): {
  firsts: Map<string, number>;
  rejected: Map<number, ScheduleResult>;
} {
  const firsts = new Map<string, number>();
  const rejected = new Map<number, ScheduleResult>();
  requests.forEach((request, i) => {
    const error = requestError(request, i);
    if (error) rejected.set(i, { outcome: 'rejected', error });
    else if (!firsts.has(request.orderId)) firsts.set(request.orderId, i);
  });
  return { firsts, rejected };
}

/** What makes a request impossible, if anything. */
function requestError(request: ExpirationRequest, i: number): RangeError | undefined {
  if (!isEventId(request.orderId)) {
    return new RangeError(`request ${i}: the order id ${JSON.stringify(request.orderId)} is not an event id`);
  }
  if (!(request.expiresAt instanceof Date) || Number.isNaN(request.expiresAt.getTime())) {
    return new RangeError(`request ${i} (order ${request.orderId}): expiresAt is not a valid date`);
  }
  return undefined;
}

/** The job's data: the order id, and the correlation id when there is a usable one. */
function jobDataOf(orderId: string, correlationId: string | undefined): ExpirationJobData {
  return isCorrelationId(correlationId) ? { orderId, correlationId } : { orderId };
}
