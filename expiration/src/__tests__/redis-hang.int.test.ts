import { Subjects } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import type { ExpirationService } from '../service';
import { startTestService } from '../test/test-service';
import { RedisServerProcess } from '../test/child-process';
import { freePort, inMs, orderCreated, testNames, waitFor } from '../test/helpers';

const COMMAND_TIMEOUT_MS = 500;

// A Redis that hangs rather than goes down: the process is frozen with
// SIGSTOP, so the connections stay open and nothing is retried. Only the
// command timeout of the general connection can end a command then.
describe('the expiration service when Redis hangs', () => {
  const bus = new FakeEventBus();
  let redis: RedisServerProcess;
  let service: ExpirationService;

  beforeAll(async () => {
    const port = await freePort();
    redis = await RedisServerProcess.start(port);
    service = await startTestService(testNames('redis-hang'), {
      bus,
      env: { REDIS_PORT: String(port), REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) },
    });
  });

  afterAll(async () => {
    redis?.resume();
    await service?.shutdown('test over');
    await redis?.stop('SIGTERM');
  });

  afterEach(() => {
    redis.resume();
  });

  const readyz = async (): Promise<{ status: number; body: unknown; ms: number }> => {
    const started = Date.now();
    const res = await fetch(`http://127.0.0.1:${service.port}/readyz`);
    return { status: res.status, body: await res.json(), ms: Date.now() - started };
  };

  it('fails PING within about the command timeout', async () => {
    redis.pause();
    const started = Date.now();

    await expect(service.expirations.ping()).rejects.toThrow(/timed out/i);

    const ms = Date.now() - started;
    expect(ms).toBeGreaterThanOrEqual(COMMAND_TIMEOUT_MS - 50);
    expect(ms).toBeLessThan(COMMAND_TIMEOUT_MS + 1_000);
  });

  it('answers /readyz with 503 naming Redis, sooner than the readiness check would give up on its own', async () => {
    expect((await readyz()).status).toBe(200);
    redis.pause();

    const { status, body, ms } = await readyz();

    expect(status).toBe(503);
    expect(body).toEqual({ status: 'not ready', checks: { redis: 'failing', nats: 'ok' } });
    // The health router's own limit is 2 s.
    expect(ms).toBeLessThan(1_500);
  });

  it('fails the order:created handler, so the message is not acked and comes back', async () => {
    redis.pause();

    const [msg] = await bus.emit(Subjects.OrderCreated, orderCreated(inMs(60_000)));

    expect(msg.acked).toBe(false);
    expect(msg.nakked).toBe(true);
  });

  it('is ready again, and schedules, once Redis answers again', async () => {
    redis.pause();
    expect((await readyz()).status).toBe(503);

    redis.resume();

    await waitFor(async () => (await readyz()).status === 200, 'readiness to come back');
    const [msg] = await bus.emit(Subjects.OrderCreated, orderCreated(inMs(60_000)));
    expect(msg.acked).toBe(true);
  });
});
