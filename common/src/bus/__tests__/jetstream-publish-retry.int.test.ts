/**
 * JetStreamBus.publish when the stream is away for a moment, as it is while a
 * cluster elects a new stream leader: the server answers "no responders"
 * until the stream is back. Against the real NATS server of this machine; each
 * test uses its own stream and subject prefix and deletes its stream.
 */
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { captureLogs } from '../../testing/capture-logs';
import { waitFor } from '../../testing/wait-for';
import { Subjects } from '../../events/subjects';
import { JetStreamBus } from '../jetstream-bus';
import type { PublishRetryPolicy } from '../publish-retry';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
/** Quick retries, so that the tests take a second, not the default's several. */
const QUICK: PublishRetryPolicy = { attempts: 20, firstDelayMs: 50, maxDelayMs: 200, deadlineMs: 10_000 };

let admin: NatsConnection;
let jsm: JetStreamManager;
let id: string;
let bus: JetStreamBus | undefined;

beforeAll(async () => {
  admin = await connect({ servers: NATS_URL, name: 'common-int-test-publish-retry' });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await admin.close();
});

beforeEach(() => {
  id = `pr${randomUUID().slice(0, 8)}`;
});

afterEach(async () => {
  await bus?.close();
  bus = undefined;
  await jsm.streams.delete(id).catch(() => undefined);
});

async function connectBus(publishRetry: PublishRetryPolicy) {
  const logs = captureLogs('publish-retry');
  bus = await JetStreamBus.connect({ url: NATS_URL, stream: id, subjectPrefix: `${id}.`, publishRetry, ...logs });
  return { bus, lines: logs.lines };
}

/** Deletes the stream and returns its config, to put it back. */
async function takeStreamAway(): Promise<StreamConfig> {
  const { config } = await jsm.streams.info(id);
  await jsm.streams.delete(id);
  return config;
}

describe('JetStreamBus.publish while the stream is away', () => {
  it('retries with the same message id until the stream is back, logs each retry and stores the message once', async () => {
    const { bus, lines } = await connectBus(QUICK);
    const config = await takeStreamAway();

    const publishing = bus.publish(Subjects.ExpirationComplete, '{"orderId":"o1"}', { msgId: 'expiration:o1' });
    await waitFor(() => bus.publishRetries >= 2, 'two retries');
    await jsm.streams.add(config);
    await publishing;

    const { state } = await jsm.streams.info(id);
    const retries = lines.filter((l) => l.msg === 'JetStream publish failed for a passing reason; retrying');
    expect(state.messages).toBe(1);
    expect(retries.length).toBe(bus.publishRetries);
    expect(retries[0]).toMatchObject({ level: 'warn', subject: Subjects.ExpirationComplete, msgId: 'expiration:o1' });
    expect(retries.map((l) => l.attempt)).toEqual(retries.map((_, i) => i + 1));
  });

  it('retries a publish without a message id too: "no responders" means nothing was stored', async () => {
    const { bus } = await connectBus(QUICK);
    const config = await takeStreamAway();

    const publishing = bus.publish(Subjects.ExpirationComplete, '{"orderId":"o2"}');
    await waitFor(() => bus.publishRetries >= 1, 'a retry');
    await jsm.streams.add(config);
    await publishing;

    expect((await jsm.streams.info(id)).state.messages).toBe(1);
  });

  it('gives up after its attempts, logs that, and throws the last error', async () => {
    const { bus, lines } = await connectBus({ attempts: 3, firstDelayMs: 20, maxDelayMs: 20, deadlineMs: 10_000 });
    await takeStreamAway();

    await expect(
      bus.publish(Subjects.ExpirationComplete, '{"orderId":"o3"}', { msgId: 'expiration:o3' }),
    ).rejects.toThrow(/no responders|jetstream is not enabled/);

    expect(bus.publishRetries).toBe(2);
    expect(lines.filter((l) => l.msg === 'JetStream publish failed on every attempt; giving up')).toEqual([
      expect.objectContaining({ level: 'warn', attempts: 3, msgId: 'expiration:o3' }),
    ]);
  });

  it('does not retry a timed-out publish without a message id: it may have been stored, and a retry would store it twice', async () => {
    const { bus } = await connectBus(QUICK);
    await takeStreamAway();
    // Something listens on the subject but never answers, as a stream that stored the message and lost its ack.
    const silent = admin.subscribe(bus.wireSubject(Subjects.ExpirationComplete));
    // Until the server has the subscription, the publish would meet "no responders" instead.
    await admin.flush();

    try {
      await expect(bus.publish(Subjects.ExpirationComplete, '{"orderId":"o5"}')).rejects.toThrow(/timeout/i);
    } finally {
      silent.unsubscribe();
    }

    expect(bus.publishRetries).toBe(0);
  });

  it('gives up once its deadline has passed, whatever attempts are left', async () => {
    const { bus } = await connectBus({ attempts: 100, firstDelayMs: 100, maxDelayMs: 100, deadlineMs: 250 });
    await takeStreamAway();

    await expect(bus.publish(Subjects.ExpirationComplete, '{"orderId":"o4"}')).rejects.toThrow();

    // Retries at about 100 and 200 ms; a third would start after the 250 ms deadline.
    expect(bus.publishRetries).toBeLessThanOrEqual(2);
  });
});
