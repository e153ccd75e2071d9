import type { Job } from 'bull';
import type Redis from 'ioredis';
import { Subjects, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { ExpirationCompletePublisher } from '../../events/publishers/expiration-complete-publisher';
import { ExpirationMetrics } from '../../metrics';
import { destroyQueue, inMs, newOrderId, testLogger, uniqueName, waitFor } from '../../test/helpers';
import { completedJob, processExpirations, testQueue, type TestQueueOptions } from '../../test/queue-kit';
import { createExpirationProcessor } from '../expiration-processor';
import type { ExpirationJobData, ExpirationQueue } from '../expiration-queue';
import { expirationJobId } from '../expiration-job-id';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { ExpirationJobOptions } from '../job-options';

/** A bus whose publishes take `delayMs` to be acknowledged, like a real server. */
class SlowBus extends FakeEventBus {
  /** The most publishes that were waiting for their answer at one time. */
  maxInFlight = 0;
  private inFlight = 0;
  constructor(private readonly delayMs: number) {
    super();
  }
  override async publish(...args: Parameters<FakeEventBus['publish']>): Promise<void> {
    this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    try {
      await new Promise((resolve) => setTimeout(resolve, this.delayMs));
      await super.publish(...args);
    } finally {
      this.inFlight--;
    }
  }
}

/** A bus whose publishes never get an answer, until `release()` fails them. */
class HangingBus extends FakeEventBus {
  private readonly pending: Array<(err: Error) => void> = [];
  override publish(): Promise<void> {
    return new Promise((_, reject) => this.pending.push(reject));
  }
  release(): void {
    for (const reject of this.pending.splice(0)) reject(new Error('released'));
  }
}

interface Worker {
  expirations: ExpirationQueue;
  bus: FakeEventBus;
  metrics: ExpirationMetrics;
}

const workers: ExpirationQueue[] = [];

function startWorker(options: { bus?: FakeEventBus; concurrency?: number } & TestQueueOptions = {}): Worker {
  const { bus = new FakeEventBus(), concurrency = 50, logger = testLogger(), ...queueOptions } = options;
  const metrics = new ExpirationMetrics();
  const expirations = testQueue('test-processor', { publishAttempts: 5, logger, ...queueOptions });
  workers.push(expirations);
  processExpirations(expirations, { bus, metrics, logger, concurrency });
  return { expirations, bus, metrics };
}

const published = (bus: FakeEventBus) => bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete);

afterEach(async () => {
  await Promise.all(workers.splice(0).map((w) => destroyQueue(w)));
});

describe('the expiration processor', () => {
  it('publishes expiration:complete {orderId} with an idempotency key, then completes the job', async () => {
    const { expirations, bus, metrics } = startWorker();
    const orderId = newOrderId();

    await expirations.scheduleExpiration(orderId, inMs(200));
    const job = await completedJob(expirations, expirationJobId(orderId), 'the job to complete');

    expect(published(bus)).toEqual([{ orderId }]);
    expect(bus.published[0].msgId).toBe(`expiration:complete:${orderId}`);
    expect(job.returnvalue).toBe('published');
    expect((await metrics.expirationsPublished.get()).values[0].value).toBe(1);
    expect(
      (await metrics.lateness.get()).values.find((v) => v.metricName === 'expiration_lateness_seconds_count')?.value,
    ).toBe(1);
  });

  it('logs each expiration at debug, and at info only a summary line at most once a second', async () => {
    const { logger, lines } = captureLogs();
    const { expirations, bus } = startWorker({ logger });
    const orderIds = Array.from({ length: 20 }, () => newOrderId());
    const started = Date.now();

    await expirations.scheduleExpirations(orderIds.map((orderId) => ({ orderId, expiresAt: inMs(0) })));
    await waitFor(() => published(bus).length === orderIds.length, 'every expiration');
    const summaries = await waitFor(() => {
      const found = lines.filter((l) => l.msg.startsWith('published '));
      return found.reduce((sum, l) => sum + Number(l.published), 0) === orderIds.length ? found : null;
    }, 'the summary lines');
    const seconds = Math.ceil((Date.now() - started) / 1000);

    expect(lines.filter((l) => l.msg === 'expiration:complete published').map((l) => l.level)).toEqual(
      orderIds.map(() => 'debug'),
    );
    expect(lines.filter((l) => l.level === 'info')).toEqual(summaries);
    expect(summaries.length).toBeLessThanOrEqual(seconds + 1);
    for (const line of summaries) {
      expect(line.msg).toMatch(/^published \d+ expirations in the last second, max lateness -?\d+ ms$/);
    }
  });

  it('fires at expiresAt, not before', async () => {
    const { expirations, bus } = startWorker();
    const orderId = newOrderId();
    const expiresAt = inMs(1_000);

    await expirations.scheduleExpiration(orderId, expiresAt);
    await waitFor(() => published(bus).length === 1, 'the expiration');

    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt.getTime());
  });

  it('when expiresAt is in the past, publishes at once: the job is stored without a delay', async () => {
    const { expirations, bus } = startWorker();
    const orderId = newOrderId();

    await expirations.scheduleExpiration(orderId, inMs(-60_000));
    await waitFor(() => published(bus).length === 1, 'the expiration');
    const job = await expirations.queue.getJob(expirationJobId(orderId));

    expect(job?.opts.delay ?? 0).toBe(0);
  });

  it('when the publish fails, does not complete the job and retries it with backoff until NATS acks', async () => {
    const bus = new FakeEventBus();
    bus.failNextPublishes(3);
    const { expirations, metrics } = startWorker({ bus });
    const orderId = newOrderId();

    await expirations.scheduleExpiration(orderId, inMs(0));
    const job = await completedJob(expirations, expirationJobId(orderId), 'the job to complete');

    expect(published(bus)).toEqual([{ orderId }]);
    expect(job.attemptsMade).toBe(3);
    expect((await metrics.publishFailures.get()).values[0].value).toBe(3);
  });

  it('when every attempt fails, parks the job as failed, and retryFailed publishes it later', async () => {
    const bus = new FakeEventBus();
    bus.failNextPublishes(2);
    const { expirations } = startWorker({ bus, publishAttempts: 2 });
    const orderId = newOrderId();

    await expirations.scheduleExpiration(orderId, inMs(0));
    await waitFor(
      async () => (await expirations.queue.getJob(expirationJobId(orderId)))?.isFailed(),
      'the job to fail',
    );
    expect(published(bus)).toEqual([]);
    const retried = await expirations.retryFailed();
    await waitFor(() => published(bus).length === 1, 'the expiration after the retry');

    expect(retried).toBe(1);
    expect(published(bus)).toEqual([{ orderId }]);
  });

  it('when the order was cancelled meanwhile, completes the job without publishing', async () => {
    const { expirations, bus } = startWorker();
    const orderId = newOrderId();
    await expirations.redis.zadd(expirations.queue.toKey('cancelled'), Date.now(), orderId);

    // Bypasses scheduleExpiration's own check, as a job stored before the cancel would.
    await expirations.queue.add({ orderId }, { jobId: expirationJobId(orderId) });
    const job = await completedJob(expirations, expirationJobId(orderId), 'the job to complete');

    expect(job.returnvalue).toBe('cancelled');
    expect(published(bus)).toEqual([]);
  });

  it('publishes the expiration of a job an earlier version stored under the bare order id', async () => {
    const { expirations, bus } = startWorker();
    const orderId = newOrderId();

    await expirations.queue.add({ orderId }, { jobId: orderId, delay: 100 });
    const job = await completedJob(expirations, orderId, 'the legacy job to complete');

    expect(job.returnvalue).toBe('published');
    expect(published(bus)).toEqual([{ orderId }]);
  });

  it.each([
    ['no orderId', {}],
    ['an empty orderId', { orderId: '' }],
    ['an orderId the event id rule refuses', { orderId: 'o1:lock' }],
  ])('drops a job with %s without publishing, since no retry could publish it', async (_label, data) => {
    const bus = new FakeEventBus();
    const processor = createExpirationProcessor({
      publisher: new ExpirationCompletePublisher(bus),
      expirations: { isCancelled: async () => false },
      jobOptions: new ExpirationJobOptions({
        publishAttempts: 5,
        backoffMs: 50,
        backoffMaxMs: 200,
        retentionSeconds: 3600,
      }),
      metrics: new ExpirationMetrics(),
      logger: testLogger(),
    });
    const job = { id: 'x', data, attemptsMade: 0, opts: { attempts: 5 }, timestamp: Date.now() };

    const outcome = await processor(job as unknown as Job<ExpirationJobData>);

    expect(outcome).toBe('invalid');
    expect(bus.published).toEqual([]);
  });

  it('after the job completed, a late duplicate neither re-schedules nor fires again', async () => {
    const { expirations, bus } = startWorker();
    const orderId = newOrderId();
    await expirations.scheduleExpiration(orderId, inMs(0));
    await waitFor(
      async () => (await expirations.queue.getJob(expirationJobId(orderId)))?.isCompleted(),
      'the job to complete',
    );

    const again = await expirations.scheduleExpiration(orderId, inMs(0));

    expect(again).toEqual({ outcome: 'duplicate' });
    expect(await (await expirations.queue.getJob(expirationJobId(orderId)))?.isCompleted()).toBe(true);
    expect(await expirations.queue.getWaitingCount()).toBe(0);
    expect(published(bus)).toEqual([{ orderId }]);
  });

  it('deletes completed jobs older than the retention window, so Redis memory stays bounded', async () => {
    const { expirations } = startWorker({ retentionSeconds: 1 });
    const first = newOrderId();
    await expirations.scheduleExpiration(first, inMs(0));
    await waitFor(
      async () => (await expirations.queue.getJob(expirationJobId(first)))?.isCompleted(),
      'the first job to complete',
    );

    // Bull trims by age whenever a job completes.
    const second = newOrderId();
    await expirations.scheduleExpiration(second, inMs(1_500));
    await waitFor(
      async () => (await expirations.queue.getJob(expirationJobId(second)))?.isCompleted(),
      'the second job to complete',
    );

    expect(await expirations.queue.getJob(expirationJobId(first))).toBeNull();
    expect(await expirations.queue.getCompletedCount()).toBe(1);
  });

  it('runs jobs concurrently: 200 orders expiring together are published many at a time, up to the concurrency', async () => {
    // Each publish takes 100 ms: one at a time, 200 of them would take 20 s.
    const bus = new SlowBus(100);
    const { expirations } = startWorker({ bus, concurrency: 50 });
    const expiresAt = inMs(1_500);
    const orderIds = Array.from({ length: 200 }, () => newOrderId());

    await Promise.all(orderIds.map((id) => expirations.scheduleExpiration(id, expiresAt)));
    await waitFor(() => published(bus).length === orderIds.length, 'all expirations', { timeoutMs: 30_000 });

    // Counted, not timed: how far above one depends on how fast Bull hands
    // out jobs on a busy machine, never above the concurrency.
    expect(bus.maxInFlight).toBeGreaterThan(10);
    expect(bus.maxInFlight).toBeLessThanOrEqual(50);
  });

  it('a job that was active when its worker died is retried by another worker within seconds', async () => {
    // The first worker takes the job and hangs on the publish, then "dies": its
    // connections drop without a close, so its lock is never renewed or released.
    const prefix = uniqueName('test-stalled');
    const hanging = new HangingBus();
    const first = startWorker({ bus: hanging, prefix });
    const orderId = newOrderId();
    await first.expirations.scheduleExpiration(orderId, inMs(0));
    await waitFor(
      async () => (await first.expirations.queue.getJob(expirationJobId(orderId)))?.isActive(),
      'the job to be active',
    );
    const { eclient, bclient } = first.expirations.queue as unknown as Record<'eclient' | 'bclient', Redis>;
    for (const connection of [first.expirations.redis, eclient, bclient]) connection.disconnect();
    const diedAt = Date.now();

    const second = startWorker({ prefix });
    await waitFor(() => published(second.bus).length === 1, 'the stalled job to be retried', { timeoutMs: 40_000 });

    // At worst the lock's 5 s plus two stalled checks (one to mark the job, one
    // to move it) a second apart: about 3.5 s measured in bench/, versus about
    // 60 s with Bull's defaults; the margin is for a busy machine.
    expect(Date.now() - diedAt).toBeLessThan(25_000);
    workers.splice(workers.indexOf(first.expirations), 1);
    hanging.release();
    await first.expirations.close().catch(() => undefined);
    await first.expirations.disconnect();
  }, 60_000);
});
