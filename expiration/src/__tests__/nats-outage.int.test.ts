import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { JetStreamBus } from '@grider-ms-tickets/common';
import { expirationJobId } from '../queues/expiration-job-id';
import type { ExpirationService } from '../service';
import { startTestService, stopTestService } from '../test/test-service';
import { NatsServerProcess } from '../test/child-process';
import {
  ExpirationCollector,
  OrderCreatedPublisher,
  connectTestBus,
  deleteStreamAndClose,
  freePort,
  inMs,
  orderCreated,
  testNames,
  waitFor,
} from '../test/helpers';

// A nats-server of the test's own, so it can be stopped while an expiration is due.
describe('the expiration service when NATS is unreachable at fire time', () => {
  const names = testNames('outage');
  let storeDir: string;
  let natsUrl: string;
  let port: number;
  let nats: NatsServerProcess | undefined;
  let service: ExpirationService | undefined;
  const buses: JetStreamBus[] = [];

  beforeAll(async () => {
    storeDir = await mkdtemp(path.join(tmpdir(), 'expiration-nats-'));
    port = await freePort();
    natsUrl = `nats://127.0.0.1:${port}`;
    nats = await NatsServerProcess.start(port, storeDir);
  });

  afterAll(async () => {
    await stopTestService(service);
    for (const bus of buses) await deleteStreamAndClose(bus);
    await nats?.stop('SIGTERM');
    await rm(storeDir, { recursive: true, force: true });
  });

  it('retries the publish and publishes the expiration once NATS is back', async () => {
    service = await startTestService(names, { env: { NATS_URL: natsUrl } });
    const publisherBus = await connectTestBus(names, natsUrl);
    buses.push(publisherBus);
    const order = orderCreated(inMs(1_500));
    await new OrderCreatedPublisher(publisherBus).publish(order);
    await waitFor(() => service?.expirations.queue.getJob(expirationJobId(order.id)), 'the job to be stored');

    await nats?.stop('SIGKILL');
    await waitFor(
      async () => (await service?.metrics.publishFailures.get())?.values[0]?.value,
      'a publish to fail while NATS is down',
      { timeoutMs: 30_000 },
    );
    const job = await service.expirations.queue.getJob(expirationJobId(order.id));
    expect(await job?.isCompleted()).toBe(false);
    nats = await NatsServerProcess.start(port, storeDir);
    const readerBus = await connectTestBus(names, natsUrl);
    buses.push(readerBus);
    const collector = new ExpirationCollector(readerBus);
    await collector.listen();
    await collector.waitForAll([order.id], 60_000);

    await waitFor(
      async () => (await service?.expirations.queue.getJob(expirationJobId(order.id)))?.isCompleted(),
      'the job to complete',
    );
    // Give a second copy, if any, the time to arrive before counting.
    const control = orderCreated(inMs(0));
    await new OrderCreatedPublisher(readerBus).publish(control);
    await collector.waitForAll([control.id]);
    expect(collector.count(order.id)).toBe(1);
  }, 120_000);
});
