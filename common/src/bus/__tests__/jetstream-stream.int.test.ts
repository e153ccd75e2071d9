/**
 * The stream JetStreamBus creates or adopts: its limits, and the error when
 * another stream holds its subjects. Against the real NATS server of this
 * machine; every test uses its own stream names and subject prefix and deletes
 * its streams afterwards.
 */
import { nanos } from '@nats-io/transport-node';
import { DiscardPolicy, StorageType } from '@nats-io/jetstream';
import { Subjects } from '../../events/subjects';

import { StreamSubjectsOverlapError } from '../stream-subjects-overlap-error';
import { useJetStreamTestKit } from '../../__tests__/helpers/jetstream-test-kit';

const kit = useJetStreamTestKit('st');

const HOUR_MS = 3_600_000;

describe('the stream of JetStreamBus', () => {
  it('is created with a max age of 7 days, a max size of 1 GiB and discard old by default', async () => {
    await kit.connectBus();

    const { config } = await kit.jsm.streams.info(kit.id);

    expect(config).toMatchObject({ max_age: nanos(7 * 24 * HOUR_MS), max_bytes: 2 ** 30, discard: DiscardPolicy.Old });
  });

  it('is created with the limits it is given', async () => {
    await kit.connectBus({ maxAgeMs: 2 * HOUR_MS, maxBytes: 64 * 2 ** 20 });

    const { config } = await kit.jsm.streams.info(kit.id);

    expect(config).toMatchObject({ max_age: nanos(2 * HOUR_MS), max_bytes: 64 * 2 ** 20 });
  });

  it('keeps the limits of an existing stream that has its own', async () => {
    await kit.jsm.streams.add({
      name: kit.id,
      subjects: [`${kit.id}.${Subjects.OrderCreated}`],
      storage: StorageType.File,
      max_age: nanos(30 * 24 * HOUR_MS),
      max_bytes: 5 * 2 ** 30,
    });

    await kit.connectBus({ maxAgeMs: 2 * HOUR_MS, maxBytes: 64 * 2 ** 20 });
    const { config } = await kit.jsm.streams.info(kit.id);

    expect(config).toMatchObject({ max_age: nanos(30 * 24 * HOUR_MS), max_bytes: 5 * 2 ** 30 });
  });

  it('sets the limits of an existing stream that has none', async () => {
    await kit.jsm.streams.add({
      name: kit.id,
      subjects: [`${kit.id}.${Subjects.OrderCreated}`],
      storage: StorageType.File,
    });
    const before = (await kit.jsm.streams.info(kit.id)).config;

    await kit.connectBus({ maxAgeMs: 2 * HOUR_MS, maxBytes: 64 * 2 ** 20 });
    const { config } = await kit.jsm.streams.info(kit.id);

    expect([before.max_age, before.max_bytes]).toEqual([0, -1]);
    expect(config).toMatchObject({ max_age: nanos(2 * HOUR_MS), max_bytes: 64 * 2 ** 20 });
  });

  it('is created with one replica by default', async () => {
    await kit.connectBus();

    const { config } = await kit.jsm.streams.info(kit.id);

    expect(config.num_replicas).toBe(1);
  });

  it("fails to connect with the server's reason when asked for replicas a lone server can't keep", async () => {
    // A server that is not in a cluster holds one copy of a stream, never three.
    await expect(kit.connectBus({ replicas: 3 })).rejects.toThrow(/replicas > 1 not supported in non-clustered mode/);
  });

  it('refuses to start when another stream captures its subjects, naming that stream and the two ways out', async () => {
    const other = `${kit.id}-old`;
    kit.deleteAfter(other);
    await kit.jsm.streams.add({
      name: other,
      subjects: [`${kit.id}.${Subjects.OrderCreated}`],
      storage: StorageType.Memory,
    });

    const attempt = kit.connectBus({ stream: `${kit.id}-new` });

    await expect(attempt).rejects.toThrow(StreamSubjectsOverlapError);
    const err = (await attempt.catch((e: unknown) => e)) as StreamSubjectsOverlapError;
    expect(err.name).toBe('StreamSubjectsOverlapError');
    expect(err.holders).toEqual([other]);
    expect(err.message).toBe(
      `JetStream stream ${kit.id}-new can't capture the event subjects: stream ${other} captures them already. ` +
        `Either use that stream (set NATS_STREAM=${other}) or delete it (nats stream rm ${other}).`,
    );
    expect(err.cause).toBeInstanceOf(Error);
    await expect(kit.jsm.streams.info(`${kit.id}-new`)).rejects.toThrow('stream not found');
  });

  it('refuses to add a subject to its existing stream that another stream captures, naming that stream', async () => {
    const other = `${kit.id}-letters`;
    kit.deleteAfter(other);
    await kit.jsm.streams.add({
      name: kit.id,
      subjects: [`${kit.id}.${Subjects.OrderCreated}`],
      storage: StorageType.Memory,
    });
    await kit.jsm.streams.add({ name: other, subjects: [`${kit.id}.dead-letter`], storage: StorageType.Memory });

    const attempt = kit.connectBus();

    await expect(attempt).rejects.toThrow(
      `JetStream stream ${kit.id} can't capture the event subjects: stream ${other} captures them already.`,
    );
    expect((await kit.jsm.streams.info(kit.id)).config.subjects).toEqual([`${kit.id}.${Subjects.OrderCreated}`]);
  });
});
