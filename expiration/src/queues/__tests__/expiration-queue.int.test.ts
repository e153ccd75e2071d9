import { destroyQueue, inMs, newOrderId } from '../../test/helpers';
import { testQueue } from '../../test/queue-kit';
import { EXPIRATION_QUEUE_NAME, type ExpirationQueue } from '../expiration-queue';
import { QUEUE_KEY_NAMES, expirationJobId, legacyExpirationJobId } from '../expiration-job-id';
import { cappedExponentialBackoff } from '../job-options';

describe('createExpirationQueue', () => {
  let expirations: ExpirationQueue;

  beforeEach(() => {
    expirations = testQueue('test-queue');
  });

  afterEach(async () => {
    await destroyQueue(expirations);
  });

  it(`names the queue ${EXPIRATION_QUEUE_NAME} and the job order:<orderId>, with payload {orderId}`, async () => {
    const orderId = newOrderId();

    await expirations.scheduleExpiration(orderId, inMs(60_000));

    const job = await expirations.queue.getJob(`order:${orderId}`);
    expect(expirations.queue.name).toBe('order:expiration');
    expect(job?.id).toBe(`order:${orderId}`);
    expect(job?.data).toEqual({ orderId });
  });

  it('delays the job until expiresAt', async () => {
    const orderId = newOrderId();
    const expiresAt = inMs(60_000);

    const result = await expirations.scheduleExpiration(orderId, expiresAt);

    const job = await expirations.queue.getJob(expirationJobId(orderId));
    expect(result.outcome).toBe('scheduled');
    expect(await job?.getState()).toBe('delayed');
    // Bull fires a delayed job at timestamp + delay.
    expect((job?.timestamp ?? 0) + (job?.opts.delay ?? 0)).toBe(expiresAt.getTime());
    expect(job?.opts.delay).toBeGreaterThan(59_000);
    expect(job?.opts.delay).toBeLessThanOrEqual(60_000);
  });

  it('when expiresAt is in the past, gives a zero delay so the job is waiting at once', async () => {
    const orderId = newOrderId();
    const expiresAt = inMs(-30_000);

    const result = await expirations.scheduleExpiration(orderId, expiresAt);

    const job = await expirations.queue.getJob(expirationJobId(orderId));
    expect(result).toEqual({ outcome: 'scheduled', delayMs: 0 });
    expect(job?.opts.delay).toBe(0);
    expect(await job?.getState()).toBe('waiting');
    // The expiresAt is still known, to measure lateness.
    expect(job?.timestamp).toBe(expiresAt.getTime());
  });

  it('when the same order is scheduled twice, keeps one job and reports the duplicate', async () => {
    const orderId = newOrderId();
    const expiresAt = inMs(60_000);

    const first = await expirations.scheduleExpiration(orderId, expiresAt);
    const second = await expirations.scheduleExpiration(orderId, inMs(120_000));

    expect(first.outcome).toBe('scheduled');
    expect(second).toEqual({ outcome: 'duplicate' });
    expect(await expirations.queue.getDelayedCount()).toBe(1);
    const job = await expirations.queue.getJob(expirationJobId(orderId));
    expect((job?.timestamp ?? 0) + (job?.opts.delay ?? 0)).toBe(expiresAt.getTime());
  });

  it('when the same order is scheduled many times at once, makes one job and reports the rest as duplicates', async () => {
    const orderId = newOrderId();

    const results = await Promise.all(
      Array.from({ length: 10 }, () => expirations.scheduleExpiration(orderId, inMs(60_000))),
    );

    expect(results.filter((r) => r.outcome === 'scheduled')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'duplicate')).toHaveLength(9);
    expect(await expirations.queue.getDelayedCount()).toBe(1);
  });

  it('keeps completed jobs for the retention window, so a late duplicate is still recognised', async () => {
    const orderId = newOrderId();
    const job = await expirations.queue.add({ orderId }, { jobId: orderId });

    expect(job.opts.removeOnComplete).toEqual({ age: 3600 });
    // Unset: Bull keeps failed jobs, for the failed-job reviver.
    expect(job.opts.removeOnFail).toBeUndefined();
  });

  it('cancel removes the pending job and remembers the cancellation', async () => {
    const orderId = newOrderId();
    await expirations.scheduleExpiration(orderId, inMs(60_000));

    const result = await expirations.cancelExpiration(orderId);

    expect(result).toBe('removed');
    expect(await expirations.queue.getJob(expirationJobId(orderId))).toBeNull();
    expect(await expirations.isCancelled(orderId)).toBe(true);
  });

  it('when the cancel arrives before the order:created, schedules nothing for it later', async () => {
    const orderId = newOrderId();

    const cancel = await expirations.cancelExpiration(orderId);
    const schedule = await expirations.scheduleExpiration(orderId, inMs(60_000));

    expect(cancel).toBe('not-scheduled');
    expect(schedule).toEqual({ outcome: 'cancelled' });
    expect(await expirations.queue.getJob(expirationJobId(orderId))).toBeNull();
  });

  it('reports the counts of delayed, waiting, active and failed jobs', async () => {
    await expirations.scheduleExpiration(newOrderId(), inMs(60_000));
    await expirations.scheduleExpiration(newOrderId(), inMs(60_000));
    await expirations.scheduleExpiration(newOrderId(), inMs(-1_000));

    expect(await expirations.counts()).toEqual({ delayed: 2, waiting: 1, active: 0, failed: 0 });
  });

  it('answers ping while Redis is up', async () => {
    expect(await expirations.ping()).toBe(true);
  });
});

// Jobs stored by an earlier version are named by the bare order id.
describe('createExpirationQueue with jobs of an earlier version', () => {
  let expirations: ExpirationQueue;

  beforeEach(() => {
    expirations = testQueue('test-queue');
  });

  afterEach(async () => {
    await destroyQueue(expirations);
  });

  /** Stores a job as the earlier version did: job id = order id. */
  async function addLegacyJob(orderId: string, delayMs: number): Promise<void> {
    await expirations.queue.add({ orderId }, { jobId: orderId, delay: delayMs });
  }

  it('when an order:created comes again for an order with a legacy job, schedules no second job', async () => {
    const orderId = newOrderId();
    await addLegacyJob(orderId, 60_000);

    const result = await expirations.scheduleExpiration(orderId, inMs(60_000));

    expect(result).toEqual({ outcome: 'duplicate' });
    expect(await expirations.queue.getJob(expirationJobId(orderId))).toBeNull();
    expect(await expirations.queue.getDelayedCount()).toBe(1);
  });

  it('when an order with a legacy job is cancelled, removes that job', async () => {
    const orderId = newOrderId();
    await addLegacyJob(orderId, 60_000);

    const result = await expirations.cancelExpiration(orderId);

    expect(result).toBe('removed');
    expect(await expirations.queue.getJob(orderId)).toBeNull();
    expect(await expirations.queue.getDelayedCount()).toBe(0);
  });

  it('when an order has both a legacy and a new job (a rolling upgrade), cancelling removes both', async () => {
    const orderId = newOrderId();
    await addLegacyJob(orderId, 60_000);
    await expirations.queue.add({ orderId }, { jobId: expirationJobId(orderId), delay: 60_000 });

    const result = await expirations.cancelExpiration(orderId);

    expect(result).toBe('removed');
    expect(await expirations.queue.getDelayedCount()).toBe(0);
  });

  it("never takes one of Bull's own keys for a legacy job: an order named wait is scheduled", async () => {
    // A waiting job makes Bull's wait list exist, as it does in production.
    await expirations.scheduleExpiration(newOrderId(), inMs(-1_000));

    const result = await expirations.scheduleExpiration('wait', inMs(60_000));

    expect(result).toEqual({ outcome: 'scheduled', delayMs: expect.any(Number) });
    expect(await expirations.queue.getJob('order:wait')).not.toBeNull();
    expect(await expirations.redis.type(expirations.queue.toKey('wait'))).toBe('list');
  });
});

describe('expirationJobId', () => {
  it('puts the order id in the order: namespace', () => {
    expect(expirationJobId('507f1f77bcf86cd799439011')).toBe('order:507f1f77bcf86cd799439011');
    expect(expirationJobId('wait')).toBe('order:wait');
  });

  it("never names one of Bull's own keys", () => {
    for (const name of QUEUE_KEY_NAMES) expect(QUEUE_KEY_NAMES.has(expirationJobId(name))).toBe(false);
  });
});

describe('QUEUE_KEY_NAMES', () => {
  it("lists Bull's keys that sit beside the jobs, and this service's cancellations", () => {
    for (const name of [
      'wait',
      'active',
      'delayed',
      'completed',
      'failed',
      'paused',
      'meta',
      'meta-paused',
      'id',
      'priority',
      'stalled',
      'stalled-check',
      'limiter',
      'repeat',
      'events',
      'cancelled',
    ]) {
      expect(QUEUE_KEY_NAMES).toContain(name);
    }
  });
});

describe('legacyExpirationJobId', () => {
  it('is the bare order id for an ordinary order', () => {
    expect(legacyExpirationJobId('507f1f77bcf86cd799439011')).toBe('507f1f77bcf86cd799439011');
  });

  it.each([...QUEUE_KEY_NAMES])("is nothing for an order named like Bull's key %s", (name) => {
    expect(legacyExpirationJobId(name)).toBeUndefined();
  });

  it('is nothing for an id that could reach a key beside a job, such as o1:lock', () => {
    expect(legacyExpirationJobId('o1:lock')).toBeUndefined();
    expect(legacyExpirationJobId('')).toBeUndefined();
  });
});

describe('cappedExponentialBackoff', () => {
  it('doubles from the base delay and stops at the cap', () => {
    const backoff = cappedExponentialBackoff(1_000, 60_000);

    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(backoff)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});
