import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Subjects } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { createExpirationQueue, type ExpirationQueue } from '../queues/expiration-queue';
import { ReplicaShortfallError } from '../queues/replica-shortfall-error';
import { expirationJobId } from '../queues/expiration-job-id';
import { startExpirationService, type ExpirationService } from '../service';
import { RedisServerProcess } from '../test/child-process';
import { freePort, inMs, newOrderId, orderCreated, testConfig, testLogger, testNames, waitFor } from '../test/helpers';

const WAIT_TIMEOUT_MS = 300;

// A master and a replica of the test's own, and the service on the master with
// REDIS_WAIT_REPLICAS=1: an event is acked only once the replica holds what
// it wrote.
describe('REDIS_WAIT_REPLICAS=1, on a master with one replica', () => {
  const bus = new FakeEventBus();
  const names = testNames('wait-replicas');
  const dir = mkdtempSync(path.join(tmpdir(), 'expiration-wait-replicas-'));
  let masterPort: number;
  let replicaPort: number;
  let master: RedisServerProcess;
  let replica: RedisServerProcess | undefined;
  let replicaClient: Redis;
  let service: ExpirationService;

  const startReplica = async (): Promise<void> => {
    // A replica writes the copy it gets from the master to its folder, even with nothing persisted.
    replica = await RedisServerProcess.start(replicaPort, [
      '--replicaof',
      '127.0.0.1',
      String(masterPort),
      '--dir',
      dir,
    ]);
    const admin = new Redis({ port: masterPort, lazyConnect: true });
    try {
      await waitFor(
        async () => /slave0:.*state=online/.test(await admin.info('replication')),
        'the replica to be in sync',
        { timeoutMs: 20_000, intervalMs: 100 },
      );
    } finally {
      admin.disconnect();
    }
  };
  const stopReplica = async (): Promise<void> => {
    await replica?.stop('SIGKILL');
    replica = undefined;
  };
  /** Whether the replica holds an order's job. */
  const onReplica = async (orderId: string): Promise<boolean> =>
    (await replicaClient.exists(service.expirations.queue.toKey(expirationJobId(orderId)))) === 1;
  const shortfalls = async (subject: string): Promise<number> =>
    (await service.metrics.redisWaitShortfalls.get()).values.find((v) => v.labels.subject === subject)?.value ?? 0;

  beforeAll(async () => {
    masterPort = await freePort();
    replicaPort = await freePort();
    master = await RedisServerProcess.start(masterPort);
    await startReplica();
    replicaClient = new Redis({ port: replicaPort, lazyConnect: true, maxRetriesPerRequest: 1 });
    replicaClient.on('error', () => undefined);
    const config = testConfig(names, {
      REDIS_PORT: String(masterPort),
      REDIS_WAIT_REPLICAS: '1',
      REDIS_WAIT_TIMEOUT_MS: String(WAIT_TIMEOUT_MS),
    });
    service = await startExpirationService(config, { logger: testLogger(), bus });
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    replicaClient?.disconnect();
    await replica?.stop('SIGTERM');
    await master?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the replicas the master has', async () => {
    expect(await service.expirations.connectedReplicas()).toBe(1);
  });

  it('acks a batch of order:created once the replica holds its jobs', async () => {
    const orders = [orderCreated(inMs(60_000)), orderCreated(inMs(60_000))];

    const msgs = (await Promise.all(orders.map((order) => bus.emit(Subjects.OrderCreated, order)))).flat();

    expect(msgs.map((m) => m.acked)).toEqual([true, true]);
    expect(await Promise.all(orders.map((o) => onReplica(o.id)))).toEqual([true, true]);
    expect(await shortfalls(Subjects.OrderCreated)).toBe(0);
  });

  describe('with the replica stopped', () => {
    beforeAll(stopReplica);
    afterAll(startReplica);

    it('does not ack the batch, counts the shortfall, and acks its redelivery once the replica is back', async () => {
      const order = orderCreated(inMs(60_000));
      const before = await shortfalls(Subjects.OrderCreated);

      const [first] = await bus.emit(Subjects.OrderCreated, order);

      expect(first.acked).toBe(false);
      expect(first.nakked).toBe(true);
      expect(await shortfalls(Subjects.OrderCreated)).toBe(before + 1);

      await startReplica();
      const [redelivered] = await bus.emit(Subjects.OrderCreated, order);

      expect(redelivered.acked).toBe(true);
      expect(await onReplica(order.id)).toBe(true);
      await stopReplica();
    });

    it('does not ack an order:cancelled either', async () => {
      const before = await shortfalls(Subjects.OrderCancelled);

      const [msg] = await bus.emit(Subjects.OrderCancelled, {
        id: newOrderId(),
        version: 1,
        ticket: { id: newOrderId() },
      });

      expect(msg.acked).toBe(false);
      expect(msg.nakked).toBe(true);
      expect(await shortfalls(Subjects.OrderCancelled)).toBe(before + 1);
    });
  });

  it('acks an order:cancelled once the replica holds the cancellation', async () => {
    const orderId = newOrderId();

    const [msg] = await bus.emit(Subjects.OrderCancelled, { id: orderId, version: 1, ticket: { id: newOrderId() } });

    expect(msg.acked).toBe(true);
    expect(await replicaClient.zscore(service.expirations.queue.toKey('cancelled'), orderId)).not.toBeNull();
  });

  // A batch redelivered to another instance finds its jobs and writes nothing;
  // its WAIT must still cover the first instance's unconfirmed add. (Redis 7.0
  // counts the reads of the checks for WAIT; the scheduler's PUBLISH before
  // WAIT makes it so on any version.)
  it('waits for the replica even when a batch only finds jobs that another connection stored', async () => {
    const other: ExpirationQueue = createExpirationQueue({
      redis: { host: '127.0.0.1', port: masterPort },
      replicaWait: { replicas: 1, timeoutMs: WAIT_TIMEOUT_MS },
      prefix: names.queuePrefix,
      publishAttempts: 1,
      backoffMs: 100,
      backoffMaxMs: 1_000,
      retentionSeconds: 3_600,
      logger: testLogger(),
    });
    const orderId = newOrderId();
    try {
      await other.ping();
      replica?.pause();

      await expect(service.expirations.scheduleExpirations([{ orderId, expiresAt: inMs(60_000) }])).rejects.toThrow(
        ReplicaShortfallError,
      );
      await expect(other.scheduleExpirations([{ orderId, expiresAt: inMs(60_000) }])).rejects.toThrow(
        ReplicaShortfallError,
      );

      replica?.resume();
      await expect(other.scheduleExpirations([{ orderId, expiresAt: inMs(60_000) }])).resolves.toEqual([
        { outcome: 'duplicate' },
      ]);
      expect(await onReplica(orderId)).toBe(true);
    } finally {
      replica?.resume();
      await other.close();
      await other.disconnect();
    }
  });
});
