import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type ConsumerInfo, type JetStreamManager } from '@nats-io/jetstream';
import { waitFor } from '../../testing/wait-for';
import { Subjects } from '../../events/subjects';
import { JetStreamBus, durableName, type JetStreamConnectOptions } from '../../bus/jetstream-bus';

/** The NATS server of the integration tests. */
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** The stream and connections of the test that runs now, on the shared NATS server. */
export interface JetStreamTestKit {
  /** The test's stream, which is also its subject prefix (with a dot) and its connections' name. */
  readonly id: string;
  /** The JetStream API, on a connection of the test file's own. */
  readonly jsm: JetStreamManager;
  /** A queue group name no other test uses. */
  group(name: string): string;
  /**
   * A bus on the test's stream, closed after the test.
   *
   * @param options - what to change of the connection, such as the logger or the stream's limits
   */
  connectBus(options?: Partial<JetStreamConnectOptions>): Promise<JetStreamBus>;
  /** The durable consumer of a queue group on expiration:complete. */
  consumerInfo(queueGroupName: string): Promise<ConsumerInfo>;
  /**
   * Waits until that consumer has no message pending or unacked.
   *
   * @returns its last info
   */
  waitUntilAllAcked(queueGroupName: string, timeoutMs?: number): Promise<ConsumerInfo>;
  /** Closes something else after the test, such as a NatsWrapper. */
  closeAfter(closable: { close(): Promise<unknown> }): void;
  /** Deletes another stream after the test. */
  deleteAfter(stream: string): void;
}

/**
 * Gives each test of the file a stream of its own, named `<prefix><random>`,
 * and deletes it afterwards with every connection the test opened. Call it
 * once, at the top of a test file: it adds the file's jest hooks.
 *
 * @param prefix - the start of each stream's name, to tell the file's streams apart
 */
export function useJetStreamTestKit(prefix: string): JetStreamTestKit {
  let admin: NatsConnection;
  let jsm: JetStreamManager;
  let id = '';
  let closables: { close(): Promise<unknown> }[] = [];
  let streams: string[] = [];

  beforeAll(async () => {
    admin = await connect({ servers: NATS_URL, name: `common-int-test-admin-${prefix}` });
    jsm = await jetstreamManager(admin);
  });

  afterAll(async () => {
    await admin.close();
  });

  beforeEach(() => {
    id = `${prefix}${randomUUID().slice(0, 8)}`;
    closables = [];
    streams = [id];
  });

  afterEach(async () => {
    await Promise.allSettled(closables.map((c) => c.close()));
    for (const stream of streams) await jsm.streams.delete(stream).catch(() => undefined);
  });

  const consumerInfo = (queueGroupName: string) =>
    jsm.consumers.info(id, durableName(queueGroupName, Subjects.ExpirationComplete));

  return {
    get id() {
      return id;
    },
    get jsm() {
      return jsm;
    },
    group: (name) => `${id}-${name}`,
    async connectBus(options = {}) {
      const bus = await JetStreamBus.connect({
        url: NATS_URL,
        stream: id,
        subjectPrefix: `${id}.`,
        name: id,
        ...options,
      });
      closables.push(bus);
      return bus;
    },
    consumerInfo,
    waitUntilAllAcked: (queueGroupName, timeoutMs = 30_000) =>
      waitFor(
        async () => {
          const info = await consumerInfo(queueGroupName);
          return info.num_pending === 0 && info.num_ack_pending === 0 && info;
        },
        { what: `every message of ${queueGroupName} to be acked`, timeoutMs },
      ),
    closeAfter: (closable) => closables.push(closable),
    deleteAfter: (stream) => streams.push(stream),
  };
}
