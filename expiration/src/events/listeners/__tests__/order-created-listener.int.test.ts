import { Subjects, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import { FakeEventBus, FakeMessage } from '@grider-ms-tickets/common/testing';
import { ExpirationMetrics } from '../../../metrics';
import type { ExpirationQueue, ScheduleResult } from '../../../queues/expiration-queue';
import { expirationJobId } from '../../../queues/expiration-job-id';
import { destroyQueue, inMs, newOrderId, orderCreated, testLogger, waitFor } from '../../../test/helpers';
import { counterTotal, processExpirations, testQueue } from '../../../test/queue-kit';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { ingestSummary } from '../ingest-summary';
import { OrderCreatedListener, orderCreatedAckWaitMs } from '../order-created-listener';

describe('OrderCreatedListener', () => {
  let expirations: ExpirationQueue;
  let bus: FakeEventBus;
  let metrics: ExpirationMetrics;
  let listener: OrderCreatedListener;

  beforeEach(() => {
    expirations = testQueue('test-created');
    bus = new FakeEventBus();
    metrics = new ExpirationMetrics();
    listener = new OrderCreatedListener(bus, { expirations, metrics, logger: testLogger() });
  });

  afterEach(async () => {
    await destroyQueue(expirations);
  });

  it('listens to order:created in the expiration-service queue group, two batches in flight, ack wait past a batch of timeouts', async () => {
    await listener.listen();

    expect(bus.subscriptionSpecs).toEqual([
      expect.objectContaining({
        subject: 'order:created',
        queueGroupName: 'expiration-service',
        maxInFlight: 1000,
        ackWait: 45_000,
      }),
    ]);
  });

  it('derives its ack wait from the Redis command timeout: eight timed-out round trips and a margin, at least 30 s', () => {
    expect([100, 5_000, 10_000].map((ms) => orderCreatedAckWaitMs(ms))).toEqual([30_000, 45_000, 85_000]);
  });

  it('adds, per batch, the wait for replicas and the PUBLISH before it when REDIS_WAIT_REPLICAS is set', () => {
    // Two batches of (four round trips + the PUBLISH) × 5 s, plus a 1 s WAIT, and the 5 s margin.
    expect(orderCreatedAckWaitMs(5_000, 1_000)).toBe(2 * (5 * 5_000 + 1_000) + 5_000);
  });

  it('schedules a job delayed until expiresAt, then acks', async () => {
    const data = orderCreated(inMs(60_000));

    const msg = await bus.deliver(listener, data);

    const job = await expirations.queue.getJob(expirationJobId(data.id));
    expect(msg.acked).toBe(true);
    expect(await job?.getState()).toBe('delayed');
    expect((job?.timestamp ?? 0) + (job?.opts.delay ?? 0)).toBe(new Date(data.expiresAt).getTime());
    expect(await counterTotal(metrics.jobsScheduled)).toBe(1);
  });

  it('when the same order:created is delivered twice, schedules one job and acks both', async () => {
    const data = orderCreated(inMs(60_000));

    const first = await bus.deliver(listener, data);
    const redelivered = await bus.deliver(listener, data, { deliveryCount: 2 });

    expect(first.acked && redelivered.acked).toBe(true);
    expect(await expirations.queue.getDelayedCount()).toBe(1);
    expect(await counterTotal(metrics.jobsScheduled)).toBe(1);
    expect(await counterTotal(metrics.duplicatesIgnored)).toBe(1);
  });

  it('logs a scheduled order at debug and a duplicate at info, and counts both for the summary line', async () => {
    const { logger, lines } = captureLogs();
    const summary = ingestSummary(logger);
    const logged = new OrderCreatedListener(bus, { expirations, metrics, logger, summary });
    const data = orderCreated(inMs(60_000));

    await bus.deliver(logged, data);
    await bus.deliver(logged, data, { deliveryCount: 2 });
    summary.flush();

    expect(lines.map((l) => [l.level, l.msg])).toEqual([
      ['debug', 'expiration scheduled'],
      ['info', 'order already has an expiration; duplicate ignored'],
      [
        'info',
        'scheduled 1 expirations in the last second; 1 duplicates ignored, 0 already cancelled, 0 cancellations',
      ],
    ]);
  });

  it('acks only after the job is stored in Redis', async () => {
    let finishAdd!: (results: ScheduleResult[]) => void;
    const slowQueue = {
      scheduleExpirations: () =>
        new Promise<ScheduleResult[]>((resolve) => {
          finishAdd = resolve;
        }),
    };
    const slowListener = new OrderCreatedListener(bus, { expirations: slowQueue, metrics, logger: testLogger() });

    const msg = new FakeMessage(Subjects.OrderCreated, orderCreated(inMs(60_000)));

    const handling = slowListener.handleMessage(msg);
    await waitFor(() => finishAdd, 'the add to start');
    const ackedBeforeAdd = msg.acked;
    finishAdd([{ outcome: 'scheduled', delayMs: 60_000 }]);
    await handling;

    expect(ackedBeforeAdd).toBe(false);
    expect(msg.acked).toBe(true);
  });

  it('when storing the job fails, does not ack, so the message is redelivered', async () => {
    const brokenQueue = { scheduleExpirations: () => Promise.reject(new Error('Redis is down')) };
    const brokenListener = new OrderCreatedListener(bus, { expirations: brokenQueue, metrics, logger: testLogger() });

    const msg = await bus.deliver(brokenListener, orderCreated(inMs(60_000)));

    expect(msg.acked).toBe(false);
    expect(msg.nakked).toBe(true);
  });

  it('when storing the job fails on every delivery, dead-letters the event on the last allowed one and counts it', async () => {
    const brokenQueue = {
      scheduleExpirations: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:6379')),
    };
    const poisoned = new OrderCreatedListener(bus, {
      expirations: brokenQueue,
      metrics,
      logger: testLogger(),
      maxDeliveries: 3,
      service: 'expiration',
    });
    const data = orderCreated(inMs(60_000));

    const deliveries = [];
    for (const deliveryCount of [1, 2, 3]) {
      deliveries.push(await bus.deliver(poisoned, data, { sequence: 42, deliveryCount }));
    }

    expect(deliveries.map((m) => [m.acked, m.nakked])).toEqual([
      [false, true],
      [false, true],
      [true, false],
    ]);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({
        subject: 'order:created',
        service: 'expiration',
        sequence: 42,
        deliveries: 3,
        reason: 'handler failed: connect ECONNREFUSED 127.0.0.1:6379',
      }),
    ]);
    expect((await metrics.deadLetters.get()).values).toEqual([
      expect.objectContaining({ labels: { subject: 'order:created' }, value: 1 }),
    ]);
  });

  it('when expiresAt is in the past, the expiration is published at once', async () => {
    processExpirations(expirations, { bus, metrics });
    const data = orderCreated(inMs(-5 * 60_000));
    const started = Date.now();

    const msg = await bus.deliver(listener, data);
    await waitFor(
      () => bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete).length > 0,
      'the expiration',
    );

    expect(msg.acked).toBe(true);
    expect(bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([{ orderId: data.id }]);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('acks and drops an event whose expiresAt is not a date, and counts it', async () => {
    const data = { ...orderCreated(inMs(60_000)), expiresAt: 'tomorrow' };

    const msg = await bus.deliver(listener, data);

    expect(msg.acked).toBe(true);
    expect(await expirations.queue.getJob(expirationJobId(data.id))).toBeNull();
    expect(await counterTotal(metrics.invalidEvents)).toBe(1);
  });

  it('when the order was cancelled first, schedules nothing and acks', async () => {
    const data = orderCreated(inMs(60_000), newOrderId());
    await expirations.cancelExpiration(data.id);

    const msg = await bus.deliver(listener, data);

    expect(msg.acked).toBe(true);
    expect(await expirations.queue.getJob(expirationJobId(data.id))).toBeNull();
  });
});
