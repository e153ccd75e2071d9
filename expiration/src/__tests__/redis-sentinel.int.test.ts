import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Redis from 'ioredis';
import { Subjects } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { expirationJobId } from '../queues/expiration-job-id';
import { startExpirationService, type ExpirationService } from '../service';
import { RedisSentinelProcess, RedisServerProcess } from '../test/child-process';
import { freePort, inMs, orderCreated, testConfig, testLogger, testNames, waitFor } from '../test/helpers';

const MASTER_NAME = 'expiration-test';

// The service given REDIS_SENTINELS instead of REDIS_HOST, on a master and a
// sentinel of the test's own. The failover itself is in the fault suite
// (bench/faults/redis-sentinel.test.ts).
describe('the expiration service on Redis through Sentinel', () => {
  const bus = new FakeEventBus();
  const dir = mkdtempSync(path.join(tmpdir(), 'expiration-sentinel-'));
  let master: RedisServerProcess;
  let sentinel: RedisSentinelProcess;
  let sentinelPort: number;
  let service: ExpirationService | undefined;
  let admin: Redis;

  /** The service's connections to the master: all but the sentinel's and the test's own. */
  const serviceConnections = async (): Promise<string[]> => {
    const own = String(await admin.call('CLIENT', 'ID'));
    const list = String(await admin.call('CLIENT', 'LIST'));
    return list
      .split('\n')
      .filter((line) => line.startsWith('id=') && !line.startsWith(`id=${own} `) && !/ name=sentinel-/.test(line));
  };

  beforeAll(async () => {
    const masterPort = await freePort();
    sentinelPort = await freePort();
    master = await RedisServerProcess.start(masterPort);
    sentinel = await RedisSentinelProcess.start(sentinelPort, dir, { port: masterPort, name: MASTER_NAME });
    admin = new Redis({ port: masterPort, lazyConnect: true });
    const config = testConfig(testNames('sentinel'), {
      REDIS_HOST: '',
      REDIS_PORT: '',
      REDIS_SENTINELS: `127.0.0.1:${sentinelPort}`,
      REDIS_SENTINEL_NAME: MASTER_NAME,
    });
    service = await startExpirationService(config, { logger: testLogger(), bus });
  });

  afterAll(async () => {
    await service?.shutdown('test over');
    admin?.disconnect();
    await sentinel?.stop('SIGTERM');
    await master?.stop('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  });

  it('finds the master through the sentinel and stores the job there', async () => {
    const order = orderCreated(inMs(60_000));

    const [msg] = await bus.emit(Subjects.OrderCreated, order);

    expect(msg.acked).toBe(true);
    const job = await service?.expirations.queue.getJob(expirationJobId(order.id));
    expect(job?.data.orderId).toBe(order.id);
  });

  it("opens Bull's three connections on the master, and quits them on shutdown", async () => {
    // The general one, the subscriber, and the blocking one (which Bull renames).
    await waitFor(async () => (await serviceConnections()).length === 3, 'the three connections');

    await service?.shutdown('test over');

    await waitFor(async () => (await serviceConnections()).length === 0, 'the connections to close', {
      timeoutMs: 10_000,
      intervalMs: 100,
    });
  });
});
