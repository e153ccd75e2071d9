import { Subjects, type MessageHandler, type SubscriptionSpec } from '@grider-ms-tickets/common';
import { FakeEventBus, FakeMessage, fakeDateOnly } from '@grider-ms-tickets/common/testing';
import type { ExpirationService } from '../service';
import { startTestService, stopTestService } from '../test/test-service';
import { RedisServerProcess } from '../test/child-process';
import { destroyQueue, freePort, inMs, orderCreated, testNames, waitFor } from '../test/helpers';

/** A fake bus that keeps each subscription's handler, to deliver a message again and again. */
class RedeliveringBus extends FakeEventBus {
  private readonly handlers = new Map<string, MessageHandler>();

  override subscribe(spec: SubscriptionSpec, handler: MessageHandler) {
    this.handlers.set(spec.subject, handler);
    return super.subscribe(spec, handler);
  }

  /** Delivers one message as its `deliveryCount`-th delivery. */
  async redeliver(subject: string, payload: unknown, deliveryCount: number): Promise<FakeMessage> {
    const msg = new FakeMessage(subject, payload, { sequence: 7, deliveryCount });
    await this.handlers.get(subject)?.(msg);
    return msg;
  }
}

// The service in this process with a fake bus, and the real Redis under a
// prefix of its own.
describe('the expiration service when the event bus is lost', () => {
  const bus = new FakeEventBus();
  const exit = jest.fn();
  let service: ExpirationService;

  beforeAll(async () => {
    service = await startTestService(testNames('bus-lost'), { bus, exit });
  });

  afterAll(async () => {
    if (service) await destroyQueue(service.expirations);
  });

  it('shuts down in order and exits 1, so that Kubernetes restarts the pod', async () => {
    bus.loseConnection(new Error('stan connection_lost'));

    await waitFor(() => exit.mock.calls.length > 0, 'the shutdown to exit');

    expect(exit).toHaveBeenCalledWith(1);
    expect(service.server.listening).toBe(false);
    await waitFor(() => service.expirations.redis.status === 'end', 'the Redis connection to end');
  });
});

describe('the expiration service /healthz while the event bus is down', () => {
  let bus: FakeEventBus;
  let service: ExpirationService;

  beforeAll(async () => {
    // Only Date is faked, so that the bus's outage clock can be moved forward
    // while Redis, Bull and HTTP run on real timers.
    fakeDateOnly(jest);
    bus = new FakeEventBus();
    service = await startTestService(testNames('bus-down'), { bus, env: { EVENT_BUS_DOWN_GRACE_SECONDS: '60' } });
  });

  afterAll(async () => {
    jest.useRealTimers();
    await stopTestService(service);
  });

  const healthz = async () => {
    const res = await fetch(`http://127.0.0.1:${service.port}/healthz`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('stays alive for EVENT_BUS_DOWN_GRACE_SECONDS, then fails, naming the bus', async () => {
    const before = await healthz();
    bus.setConnected(false);

    jest.setSystemTime(Date.now() + 59_000);
    const withinGrace = await healthz();
    jest.setSystemTime(Date.now() + 2_000);
    const pastGrace = await healthz();

    expect(before).toEqual({ status: 200, body: { status: 'ok', checks: { nats: 'ok' } } });
    expect(withinGrace.status).toBe(200);
    expect(pastGrace).toEqual({ status: 503, body: { status: 'failing', checks: { nats: 'failing' } } });
  });
});

// A redis-server of the test's own, stopped, so that every order:created
// handler fails with the connection refused.
describe('the expiration service given an order:created that can never be stored', () => {
  const bus = new RedeliveringBus();
  let redis: RedisServerProcess;
  let port: number;
  let service: ExpirationService;

  beforeAll(async () => {
    port = await freePort();
    redis = await RedisServerProcess.start(port);
    service = await startTestService(testNames('poison'), {
      bus,
      env: { REDIS_PORT: String(port), REDIS_COMMAND_TIMEOUT_MS: '300', EVENT_MAX_DELIVERIES: '3' },
    });
  });

  afterAll(async () => {
    if (!redis.running) redis = await RedisServerProcess.start(port);
    await service?.shutdown('test over');
    await redis.stop('SIGTERM');
  });

  it('dead-letters it on delivery EVENT_MAX_DELIVERIES, acks it, and counts it on /metrics', async () => {
    await redis.stop('SIGKILL');
    const order = orderCreated(inMs(60_000));

    const deliveries: FakeMessage[] = [];
    for (const count of [1, 2, 3]) deliveries.push(await bus.redeliver(Subjects.OrderCreated, order, count));
    const metrics = await (await fetch(`http://127.0.0.1:${service.port}/metrics`)).text();

    expect(deliveries.map((m) => ({ acked: m.acked, nakked: m.nakked }))).toEqual([
      { acked: false, nakked: true },
      { acked: false, nakked: true },
      { acked: true, nakked: false },
    ]);
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({
        subject: Subjects.OrderCreated,
        queueGroup: 'expiration-service',
        service: 'expiration',
        deliveries: 3,
        reason: expect.stringMatching(/^handler failed: /),
      }),
    ]);
    expect(metrics).toContain('expiration_dead_letters_total{subject="order:created"} 1');
  });
});
