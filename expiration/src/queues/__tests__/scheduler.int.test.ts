import { Subjects, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { ExpirationMetrics } from '../../metrics';
import { RedisServerProcess } from '../../test/child-process';
import { destroyQueue, freePort, inMs, newOrderId, waitFor } from '../../test/helpers';
import { completedJob, processExpirations, schedulerWithHook, testQueue } from '../../test/queue-kit';
import { Cancellations, type CancelResult } from '../cancellations';
import { expirationJobId } from '../expiration-job-id';
import type { ExpirationQueue } from '../expiration-queue';
import { ExpirationScheduler, type ExpirationRequest } from '../scheduler';

const queues: ExpirationQueue[] = [];

function newQueue(redis: { port?: number; commandTimeoutMs?: number } = {}): ExpirationQueue {
  const expirations = testQueue('test-scheduler', { redis });
  queues.push(expirations);
  return expirations;
}

const requests = (count: number, expiresAt = inMs(60_000)): ExpirationRequest[] =>
  Array.from({ length: count }, () => ({ orderId: newOrderId(), expiresAt }));

/** How many jobs each order has, under its new and its legacy id. */
async function jobsPerOrder(expirations: ExpirationQueue, orderIds: string[]): Promise<number[]> {
  return Promise.all(
    orderIds.map(async (id) => {
      const jobs = await Promise.all([expirations.queue.getJob(expirationJobId(id)), expirations.queue.getJob(id)]);
      return jobs.filter(Boolean).length;
    }),
  );
}

afterEach(async () => {
  await Promise.all(queues.splice(0).map((q) => destroyQueue(q)));
});

describe('scheduleExpirations', () => {
  it('stores a batch of 100 orders with one check command and one addBulk, each delayed until its expiresAt', async () => {
    const expirations = newQueue();
    await expirations.ping();
    const batch = requests(100).map((r, i) => ({ ...r, expiresAt: inMs(60_000 + i) }));
    const sent = jest.spyOn(expirations.redis, 'sendCommand');
    const addBulk = jest.spyOn(expirations.queue, 'addBulk');

    const results = await expirations.scheduleExpirations(batch);

    const commands = sent.mock.calls.map(([command]) => command.name);
    expect(results.every((r) => r.outcome === 'scheduled')).toBe(true);
    expect(addBulk).toHaveBeenCalledTimes(1);
    // The check script, then one MULTI of Bull's add script per job.
    expect(commands.filter((name) => name === 'multi')).toHaveLength(1);
    expect(commands.filter((name) => /^eval/.test(name))).toHaveLength(1 + 100);
    expect(commands).not.toContain('zscore');
    expect(commands).not.toContain('exists');
    const jobs = await Promise.all(batch.map((r) => expirations.queue.getJob(expirationJobId(r.orderId))));
    expect(jobs.map((job) => (job ? job.timestamp + (job.opts.delay ?? 0) : null))).toEqual(
      batch.map((r) => r.expiresAt.getTime()),
    );
    expect(await expirations.queue.getDelayedCount()).toBe(100);
  });

  it('stores a single new order with one check and one add, without a MULTI', async () => {
    const expirations = newQueue();
    const [r] = requests(1);
    const multi = jest.spyOn(expirations.redis, 'multi');
    const add = jest.spyOn(expirations.queue, 'add');

    const result = await expirations.scheduleExpiration(r.orderId, r.expiresAt);

    expect(result.outcome).toBe('scheduled');
    expect(add).toHaveBeenCalledTimes(1);
    expect(multi).not.toHaveBeenCalled();
    expect(await jobsPerOrder(expirations, [r.orderId])).toEqual([1]);
  });

  it('when an order comes twice in one batch, stores one job and reports the second copy as a duplicate', async () => {
    const expirations = newQueue();
    const [a, b] = requests(2);
    const laterCopyOfA = { orderId: a.orderId, expiresAt: inMs(120_000) };

    const results = await expirations.scheduleExpirations([a, b, laterCopyOfA, a]);

    expect(results.map((r) => r.outcome)).toEqual(['scheduled', 'scheduled', 'duplicate', 'duplicate']);
    expect(await jobsPerOrder(expirations, [a.orderId, b.orderId])).toEqual([1, 1]);
    const job = await expirations.queue.getJob(expirationJobId(a.orderId));
    expect((job?.timestamp ?? 0) + (job?.opts.delay ?? 0)).toBe(a.expiresAt.getTime());
  });

  it('in a batch of new, existing, legacy and cancelled orders, schedules only the new ones and says which is which', async () => {
    const expirations = newQueue();
    const [fresh, existing, legacy, cancelled, fresh2] = requests(5);
    await expirations.scheduleExpiration(existing.orderId, existing.expiresAt);
    await expirations.queue.add({ orderId: legacy.orderId }, { jobId: legacy.orderId, delay: 60_000 });
    await expirations.cancelExpiration(cancelled.orderId);

    const results = await expirations.scheduleExpirations([fresh, existing, legacy, cancelled, fresh2]);

    expect(results).toEqual([
      { outcome: 'scheduled', delayMs: expect.any(Number) },
      { outcome: 'duplicate' },
      { outcome: 'duplicate' },
      { outcome: 'cancelled' },
      { outcome: 'scheduled', delayMs: expect.any(Number) },
    ]);
    expect(
      await jobsPerOrder(
        expirations,
        [fresh, existing, legacy, cancelled, fresh2].map((r) => r.orderId),
      ),
    ).toEqual([1, 1, 1, 0, 1]);
  });

  it('when the same batch is delivered again, stores no new job and reports every order as a duplicate', async () => {
    const expirations = newQueue();
    const batch = requests(20);
    await expirations.scheduleExpirations(batch);

    const again = await expirations.scheduleExpirations(batch);

    expect(again).toEqual(batch.map(() => ({ outcome: 'duplicate' })));
    expect(await expirations.queue.getDelayedCount()).toBe(20);
  });

  it('when two batches with the same order run at once, stores one job and reports one of them as scheduled', async () => {
    const expirations = newQueue();
    const [shared] = requests(1);
    const first = [shared, ...requests(5)];
    const second = [...requests(5), shared];

    const [a, b] = await Promise.all([expirations.scheduleExpirations(first), expirations.scheduleExpirations(second)]);

    expect([a[0].outcome, b[5].outcome].sort()).toEqual(['duplicate', 'scheduled']);
    expect(await expirations.queue.getDelayedCount()).toBe(11);
  });

  it('when a retry follows a store that got only part of the batch in, stores every order exactly once', async () => {
    // The jobs a store cut short would have left: the first half of the batch.
    const expirations = newQueue();
    const batch = requests(10);
    for (const r of batch.slice(0, 5)) {
      await expirations.queue.add({ orderId: r.orderId }, { jobId: expirationJobId(r.orderId), delay: 60_000 });
    }

    const results = await expirations.scheduleExpirations(batch);

    expect(results.map((r) => r.outcome)).toEqual([...Array(5).fill('duplicate'), ...Array(5).fill('scheduled')]);
    expect(
      await jobsPerOrder(
        expirations,
        batch.map((r) => r.orderId),
      ),
    ).toEqual(Array(10).fill(1));
  });

  it("keeps one job per order even when the checks are skipped: Bull's add leaves an existing job id alone", async () => {
    const expirations = newQueue();
    const [r] = requests(1);
    await expirations.scheduleExpiration(r.orderId, r.expiresAt);

    const added = await expirations.queue.addBulk([
      { data: { orderId: r.orderId }, opts: { jobId: expirationJobId(r.orderId), delay: 1 } },
    ]);

    expect(added[0].id).toBe(expirationJobId(r.orderId));
    expect(await expirations.queue.getDelayedCount()).toBe(1);
    const job = await expirations.queue.getJob(expirationJobId(r.orderId));
    expect(job?.opts.delay).toBeGreaterThan(1_000);
  });

  it('rejects an order id that is not an event id or a date that is not a date on its own, and stores the rest of the batch', async () => {
    const expirations = newQueue();
    const addBulk = jest.spyOn(expirations.queue, 'addBulk');
    const [ok, ok2] = requests(2);
    const badId = { orderId: 'o1:lock', expiresAt: inMs(0) };
    const badDate = { orderId: newOrderId(), expiresAt: new Date('tomorrow') };

    const results = await expirations.scheduleExpirations([badId, ok, badDate, ok2]);

    expect(results).toEqual([
      { outcome: 'rejected', error: expect.any(RangeError) },
      { outcome: 'scheduled', delayMs: expect.any(Number) },
      {
        outcome: 'rejected',
        error: expect.objectContaining({ message: expect.stringMatching(/expiresAt is not a valid date/) }),
      },
      { outcome: 'scheduled', delayMs: expect.any(Number) },
    ]);
    expect(await jobsPerOrder(expirations, [ok.orderId, ok2.orderId, badDate.orderId])).toEqual([1, 1, 0]);
    expect(addBulk).toHaveBeenCalledTimes(1);
  });

  it('when every request of a batch is impossible, answers each as rejected without touching Redis', async () => {
    const expirations = newQueue();
    await expirations.ping();
    const sent = jest.spyOn(expirations.redis, 'sendCommand');

    const results = await expirations.scheduleExpirations([{ orderId: 'wait:lock', expiresAt: inMs(0) }]);

    expect(results.map((r) => r.outcome)).toEqual(['rejected']);
    expect(sent).not.toHaveBeenCalled();
  });

  it('refuses a single impossible order by throwing its RangeError', async () => {
    const expirations = newQueue();

    await expect(expirations.scheduleExpiration('o1:lock', inMs(0))).rejects.toThrow(RangeError);
  });

  it("stores each order's correlation id in its job's data, and leaves out one that is not a usable id", async () => {
    const expirations = newQueue();
    const [withId, withoutId, withBadId] = requests(3);

    await expirations.scheduleExpirations([
      { ...withId, correlationId: 'req-7f3a' },
      withoutId,
      { ...withBadId, correlationId: 'two words' },
    ]);

    const jobs = await Promise.all(
      [withId, withoutId, withBadId].map((r) => expirations.queue.getJob(expirationJobId(r.orderId))),
    );
    expect(jobs.map((job) => job?.data)).toEqual([
      { orderId: withId.orderId, correlationId: 'req-7f3a' },
      { orderId: withoutId.orderId },
      { orderId: withBadId.orderId },
    ]);
  });

  it('when Bull leaves one job of the batch without an id (a failed command in its MULTI), fails the batch', async () => {
    const expirations = newQueue();
    const scheduler = new ExpirationScheduler({
      queue: {
        toKey: (name) => expirations.queue.toKey(name),
        add: () => Promise.reject(new Error('this test stores a batch of several jobs')),
        addBulk: async (jobs) => {
          const added = await expirations.queue.addBulk(jobs);
          added[1].id = undefined as unknown as string;
          return added;
        },
      },
      client: expirations.redis,
      cancellations: new Cancellations(expirations.queue, expirations.redis, 3600),
    });

    await expect(scheduler.scheduleExpirations(requests(3))).rejects.toThrow(/did not store 1 of 3 expiration jobs/);
  });
});

describe('scheduleExpirations when the order is cancelled between the checks and the add', () => {
  it('stores the job, which completes without publishing when it falls due', async () => {
    const expirations = newQueue();
    const bus = new FakeEventBus();
    const [cancelledOrder] = requests(1, inMs(300));
    // Falls due after the cancelled one: once it is published, the other would have been too.
    const [control] = requests(1, inMs(600));
    let cancel: CancelResult | undefined;
    const scheduler = schedulerWithHook(expirations, async () => {
      cancel = await expirations.cancelExpiration(cancelledOrder.orderId);
    });

    const results = await scheduler.scheduleExpirations([cancelledOrder, control]);
    processExpirations(expirations, { bus, metrics: new ExpirationMetrics() });
    const job = await completedJob(
      expirations,
      expirationJobId(cancelledOrder.orderId),
      'the cancelled order job to complete',
    );
    await waitFor(
      () => bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete).length === 1,
      'the control order to expire',
    );

    expect(cancel).toBe('not-scheduled');
    expect(results.map((r) => r.outcome)).toEqual(['scheduled', 'scheduled']);
    expect(job.returnvalue).toBe('cancelled');
    expect(bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([
      { orderId: control.orderId },
    ]);
  });
});

// A redis-server of the test's own, frozen (SIGSTOP) at a chosen moment of the
// batch: commands time out on the client while Redis still holds them, and
// runs them once it is thawed, the worst case for a retry.
describe('scheduleExpirations when Redis fails in the middle of a batch', () => {
  let redis: RedisServerProcess;
  let port: number;

  beforeAll(async () => {
    port = await freePort();
    redis = await RedisServerProcess.start(port);
  });

  afterEach(() => {
    redis.resume();
  });

  afterAll(async () => {
    redis?.resume();
    await redis?.stop('SIGTERM');
  });

  it('when the checks fail, throws and stores nothing; the retry stores every order once', async () => {
    const expirations = newQueue({ port, commandTimeoutMs: 300 });
    await expirations.ping();
    const batch = requests(10);

    redis.pause();
    await expect(expirations.scheduleExpirations(batch)).rejects.toThrow(/timed out/i);
    redis.resume();
    const stored = await jobsPerOrder(
      expirations,
      batch.map((r) => r.orderId),
    );
    const retry = await expirations.scheduleExpirations(batch);

    expect(stored).toEqual(Array(10).fill(0));
    expect(retry.map((r) => r.outcome)).toEqual(Array(10).fill('scheduled'));
    expect(
      await jobsPerOrder(
        expirations,
        batch.map((r) => r.orderId),
      ),
    ).toEqual(Array(10).fill(1));
  });

  it('when the add times out but Redis runs it later, the retry finds every job and stores none twice', async () => {
    const expirations = newQueue({ port, commandTimeoutMs: 300 });
    // Loads Bull's add script on the connection, so the batch's add is one MULTI/EXEC.
    await expirations.scheduleExpiration(newOrderId(), inMs(60_000));
    const batch = requests(10);
    let frozen = false;
    const scheduler = schedulerWithHook(expirations, () => {
      if (frozen) return;
      frozen = true;
      redis.pause();
    });

    await expect(scheduler.scheduleExpirations(batch)).rejects.toThrow(/timed out/i);
    redis.resume();
    const retry = await scheduler.scheduleExpirations(batch);

    expect(retry.map((r) => r.outcome)).toEqual(Array(10).fill('duplicate'));
    expect(
      await jobsPerOrder(
        expirations,
        batch.map((r) => r.orderId),
      ),
    ).toEqual(Array(10).fill(1));
    expect(await expirations.queue.getDelayedCount()).toBe(11);
  });
});
