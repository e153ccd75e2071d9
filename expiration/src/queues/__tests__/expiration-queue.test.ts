import { REDIS_HOST, REDIS_PORT, destroyQueue, inMs, newOrderId, testLogger, uniqueName } from '../../test/helpers';
import {
  EXPIRATION_QUEUE_NAME,
  cappedExponentialBackoff,
  createExpirationQueue,
  type ExpirationQueue,
} from '../expiration-queue';

function newQueue(overrides: { retentionSeconds?: number } = {}): ExpirationQueue {
  return createExpirationQueue({
    redis: { host: REDIS_HOST, port: REDIS_PORT },
    prefix: uniqueName('test-queue'),
    publishAttempts: 3,
    backoffMs: 50,
    backoffMaxMs: 200,
    retentionSeconds: overrides.retentionSeconds ?? 3600,
    logger: testLogger(),
  });
}

describe('createExpirationQueue', () => {
  let expirations: ExpirationQueue;

  beforeEach(() => {
    expirations = newQueue();
  });

  afterEach(async () => {
    await destroyQueue(expirations);
  });

  it(`names the queue ${EXPIRATION_QUEUE_NAME} and keys the job by order id with payload {orderId}`, async () => {
    const orderId = newOrderId();

    await expirations.scheduleExpiration(orderId, inMs(60_000));

    const job = await expirations.queue.getJob(orderId);
    expect(expirations.queue.name).toBe('order:expiration');
    expect(job?.id).toBe(orderId);
    expect(job?.data).toEqual({ orderId });
  });

  it('delays the job until expiresAt', async () => {
    const orderId = newOrderId();
    const expiresAt = inMs(60_000);

    const result = await expirations.scheduleExpiration(orderId, expiresAt);

    const job = await expirations.queue.getJob(orderId);
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

    const job = await expirations.queue.getJob(orderId);
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
    expect(second).toEqual({ outcome: 'duplicate', state: 'delayed' });
    expect(await expirations.queue.getDelayedCount()).toBe(1);
    const job = await expirations.queue.getJob(orderId);
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
    expect(job.opts.removeOnFail).toBe(false);
  });

  it('cancel removes the pending job and remembers the cancellation', async () => {
    const orderId = newOrderId();
    await expirations.scheduleExpiration(orderId, inMs(60_000));

    const result = await expirations.cancelExpiration(orderId);

    expect(result).toBe('removed');
    expect(await expirations.queue.getJob(orderId)).toBeNull();
    expect(await expirations.isCancelled(orderId)).toBe(true);
  });

  it('when the cancel arrives before the order:created, schedules nothing for it later', async () => {
    const orderId = newOrderId();

    const cancel = await expirations.cancelExpiration(orderId);
    const schedule = await expirations.scheduleExpiration(orderId, inMs(60_000));

    expect(cancel).toBe('not-scheduled');
    expect(schedule).toEqual({ outcome: 'cancelled' });
    expect(await expirations.queue.getJob(orderId)).toBeNull();
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

describe('cappedExponentialBackoff', () => {
  it('doubles from the base delay and stops at the cap', () => {
    const backoff = cappedExponentialBackoff(1_000, 60_000);

    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map(backoff)).toEqual([
      1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });
});
