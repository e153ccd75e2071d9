/**
 * The stream JetStreamBus creates or adopts: its limits, and the error when
 * another stream holds its subjects. Against the real NATS server of this
 * machine; every test uses its own stream names and subject prefix and deletes
 * its streams afterwards.
 */
import { randomUUID } from 'node:crypto';
import { connect, nanos, type NatsConnection } from '@nats-io/transport-node';
import { DiscardPolicy, StorageType, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { Subjects } from '../../events/subjects';
import { JetStreamBus } from '../jetstream-bus';
import { StreamSubjectsOverlapError } from '../stream-subjects-overlap-error';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
const HOUR_MS = 3_600_000;

let admin: NatsConnection;
let jsm: JetStreamManager;
let id: string;
let streams: string[];
let buses: JetStreamBus[];

async function connectBus(options: { stream?: string; maxAgeMs?: number; maxBytes?: number; replicas?: number } = {}) {
  const bus = await JetStreamBus.connect({ url: NATS_URL, stream: id, subjectPrefix: `${id}.`, ...options });
  buses.push(bus);
  return bus;
}

beforeAll(async () => {
  admin = await connect({ servers: NATS_URL, name: 'common-int-test-admin' });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await admin.close();
});

beforeEach(() => {
  id = `st${randomUUID().slice(0, 8)}`;
  streams = [id];
  buses = [];
});

afterEach(async () => {
  await Promise.allSettled(buses.map((b) => b.close()));
  for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
});

describe('the stream of JetStreamBus', () => {
  it('is created with a max age of 7 days, a max size of 1 GiB and discard old by default', async () => {
    await connectBus();

    const { config } = await jsm.streams.info(id);

    expect(config).toMatchObject({ max_age: nanos(7 * 24 * HOUR_MS), max_bytes: 2 ** 30, discard: DiscardPolicy.Old });
  });

  it('is created with the limits it is given', async () => {
    await connectBus({ maxAgeMs: 2 * HOUR_MS, maxBytes: 64 * 2 ** 20 });

    const { config } = await jsm.streams.info(id);

    expect(config).toMatchObject({ max_age: nanos(2 * HOUR_MS), max_bytes: 64 * 2 ** 20 });
  });

  it('keeps the limits of an existing stream that has its own', async () => {
    await jsm.streams.add({
      name: id,
      subjects: [`${id}.${Subjects.OrderCreated}`],
      storage: StorageType.File,
      max_age: nanos(30 * 24 * HOUR_MS),
      max_bytes: 5 * 2 ** 30,
    });

    await connectBus({ maxAgeMs: 2 * HOUR_MS, maxBytes: 64 * 2 ** 20 });
    const { config } = await jsm.streams.info(id);

    expect(config).toMatchObject({ max_age: nanos(30 * 24 * HOUR_MS), max_bytes: 5 * 2 ** 30 });
  });

  it('sets the limits of an existing stream that has none', async () => {
    await jsm.streams.add({ name: id, subjects: [`${id}.${Subjects.OrderCreated}`], storage: StorageType.File });
    const before = (await jsm.streams.info(id)).config;

    await connectBus({ maxAgeMs: 2 * HOUR_MS, maxBytes: 64 * 2 ** 20 });
    const { config } = await jsm.streams.info(id);

    expect([before.max_age, before.max_bytes]).toEqual([0, -1]);
    expect(config).toMatchObject({ max_age: nanos(2 * HOUR_MS), max_bytes: 64 * 2 ** 20 });
  });

  it('is created with one replica by default', async () => {
    await connectBus();

    const { config } = await jsm.streams.info(id);

    expect(config.num_replicas).toBe(1);
  });

  it("fails to connect with the server's reason when asked for replicas a lone server can't keep", async () => {
    // A server that is not in a cluster holds one copy of a stream, never three.
    await expect(connectBus({ replicas: 3 })).rejects.toThrow(/replicas > 1 not supported in non-clustered mode/);
  });

  it('refuses to start when another stream captures its subjects, naming that stream and the two ways out', async () => {
    const other = `${id}-old`;
    streams.push(other);
    await jsm.streams.add({ name: other, subjects: [`${id}.${Subjects.OrderCreated}`], storage: StorageType.Memory });

    const attempt = connectBus({ stream: `${id}-new` });

    await expect(attempt).rejects.toThrow(StreamSubjectsOverlapError);
    const err = (await attempt.catch((e: unknown) => e)) as StreamSubjectsOverlapError;
    expect(err.name).toBe('StreamSubjectsOverlapError');
    expect(err.holders).toEqual([other]);
    expect(err.message).toBe(
      `JetStream stream ${id}-new can't capture the event subjects: stream ${other} captures them already. ` +
        `Either use that stream (set NATS_STREAM=${other}) or delete it (nats stream rm ${other}).`,
    );
    expect(err.cause).toBeInstanceOf(Error);
    await expect(jsm.streams.info(`${id}-new`)).rejects.toThrow('stream not found');
  });

  it('refuses to add a subject to its existing stream that another stream captures, naming that stream', async () => {
    const other = `${id}-letters`;
    streams.push(other);
    await jsm.streams.add({ name: id, subjects: [`${id}.${Subjects.OrderCreated}`], storage: StorageType.Memory });
    await jsm.streams.add({ name: other, subjects: [`${id}.dead-letter`], storage: StorageType.Memory });

    const attempt = connectBus();

    await expect(attempt).rejects.toThrow(
      `JetStream stream ${id} can't capture the event subjects: stream ${other} captures them already.`,
    );
    expect((await jsm.streams.info(id)).config.subjects).toEqual([`${id}.${Subjects.OrderCreated}`]);
  });
});
