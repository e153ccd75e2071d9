/**
 * Listing and replaying dead letters on JetStream, against the real NATS server
 * of this machine (NATS_URL, nats://127.0.0.1:4222 by default). Every test
 * gets its own stream and subject prefix, and deletes its stream afterwards.
 */
import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { waitFor } from '../../testing/wait-for';
import type { EventMessage } from '../../bus/event-bus';
import { JetStreamBus } from '../../bus/jetstream-bus';
import { Listener } from '../../events/listener';
import { Subjects } from '../../events/subjects';
import type { ExpirationCompleteEvent } from '../../events/expiration-complete-event';
import { createDeadLetter, DEAD_LETTER_SUBJECT } from '../dead-letter';
import { listDeadLetters, replayDeadLetter } from '../dead-letters';
import { runDeadLetterCli } from '../run-dead-letter-cli';

const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

/** Fails the orders in `broken`, acks the others. */
class ExpirationListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  queueGroupName = 'orders-service';
  readonly broken = new Set<string>();
  readonly handled: string[] = [];

  constructor(bus: JetStreamBus) {
    super(bus, { maxDeliveries: 1, service: 'orders' });
  }

  onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): void {
    if (this.broken.has(data.orderId)) throw new Error(`order ${data.orderId} is not there yet`);
    this.handled.push(data.orderId);
    msg.ack();
  }
}

let admin: NatsConnection;
let jsm: JetStreamManager;
let id: string;
let bus: JetStreamBus;
let listener: ExpirationListener;

/** Publishes raw payloads on expiration:complete and waits until the listener dead-lettered `expected` in all. */
/** Publishes each payload and waits for its dead letter before the next, so their order in the stream is known. */
async function deadLetter(expected: number, ...payloads: string[]): Promise<void> {
  const before = expected - payloads.length;
  for (const [i, payload] of payloads.entries()) {
    await bus.publish(Subjects.ExpirationComplete, payload);
    const count = before + i + 1;
    await waitFor(async () => (await listDeadLetters(bus)).length === count, { what: `${count} dead letters` });
  }
}

beforeAll(async () => {
  admin = await connect({ servers: NATS_URL, name: 'common-int-test-admin' });
  jsm = await jetstreamManager(admin);
});

afterAll(async () => {
  await admin.close();
});

beforeEach(async () => {
  id = `dl${randomUUID().slice(0, 8)}`;
  bus = await JetStreamBus.connect({ url: NATS_URL, stream: id, subjectPrefix: `${id}.` });
  listener = new ExpirationListener(bus);
  listener.broken.add('o1');
  await listener.listen();
});

afterEach(async () => {
  await bus.close();
  await jsm.streams.delete(id).catch(() => undefined);
});

describe('listDeadLetters on JetStream', () => {
  it('is empty when nothing was dead-lettered', async () => {
    expect(await listDeadLetters(bus)).toEqual([]);
  });

  it('reads every dead letter, oldest first, with its own sequence in the stream', async () => {
    await deadLetter(2, '{"orderId":"o1"}', '{bad');

    const letters = await listDeadLetters(bus);

    expect(letters).toEqual([
      {
        seq: 2,
        storedAt: expect.any(Date),
        letter: expect.objectContaining({
          subject: Subjects.ExpirationComplete,
          queueGroup: 'orders-service',
          service: 'orders',
          sequence: 1,
          reason: 'handler failed: order o1 is not there yet',
          payload: '{"orderId":"o1"}',
        }),
      },
      {
        seq: 4,
        storedAt: expect.any(Date),
        letter: expect.objectContaining({ sequence: 3, reason: expect.stringMatching(/^payload is not JSON/) }),
      },
    ]);
  });

  it('stops at the limit', async () => {
    await deadLetter(3, '{bad1', '{bad2', '{bad3');

    const letters = await listDeadLetters(bus, { limit: 2 });

    expect(letters.map((l) => 'letter' in l && l.letter.payload)).toEqual(['{bad1', '{bad2']);
  });

  it('shows a message on the dead-letter subject that is not a dead letter as unreadable', async () => {
    await bus.publish(DEAD_LETTER_SUBJECT, 'hello');

    const [stored] = await listDeadLetters(bus);

    expect(stored).toEqual({ seq: 1, storedAt: expect.any(Date), unreadable: expect.stringMatching(/JSON/) });
  });
});

describe('replayDeadLetter on JetStream', () => {
  it('publishes the original event again on its subject, where the listener handles it, and deletes the dead letter', async () => {
    await deadLetter(1, '{"orderId":"o1"}');
    listener.broken.clear(); // the fix is deployed

    const replayed = await replayDeadLetter(bus, 2);
    await waitFor(() => listener.handled.includes('o1'), { what: 'the replayed event to be handled' });

    expect(replayed).toEqual({
      seq: 2,
      letter: expect.objectContaining({ subject: Subjects.ExpirationComplete, payload: '{"orderId":"o1"}' }),
      publishedSeq: 3,
      deleted: true,
    });
    const republished = await jsm.streams.getMessage(id, { seq: 3 });
    expect(republished?.subject).toBe(`${id}.${Subjects.ExpirationComplete}`);
    expect(republished?.string()).toBe('{"orderId":"o1"}');
    expect(await listDeadLetters(bus)).toEqual([]);
  });

  it('refuses a sequence whose dead letter was replayed already', async () => {
    await deadLetter(1, '{"orderId":"o1"}');
    listener.broken.clear();
    await replayDeadLetter(bus, 2);

    await expect(replayDeadLetter(bus, 2)).rejects.toThrow(`stream ${id} has no message at sequence 2`);
  });

  it('refuses a sequence that is not a dead letter', async () => {
    await deadLetter(1, '{"orderId":"o1"}');

    await expect(replayDeadLetter(bus, 1)).rejects.toThrow(
      `message 1 of stream ${id} is not a dead letter: it is on ${id}.expiration:complete`,
    );
  });

  it('refuses a dead letter that holds only part of its payload', async () => {
    const letter = createDeadLetter(
      {
        subject: Subjects.ExpirationComplete,
        queueGroup: 'g',
        service: 's',
        sequence: 1,
        deliveries: 1,
        reason: 'too large',
        failedAt: new Date().toISOString(),
      },
      Buffer.alloc(2 * 1024 * 1024, 'a'),
    );
    await bus.publish(DEAD_LETTER_SUBJECT, JSON.stringify(letter));

    await expect(replayDeadLetter(bus, 1)).rejects.toThrow("it can't be replayed");
    expect(await listDeadLetters(bus)).toHaveLength(1);
  });
});

describe('the dead-letters command on JetStream', () => {
  const run = async (...args: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const env = { EVENT_BUS: 'jetstream', NATS_URL, NATS_STREAM: id, NATS_SUBJECT_PREFIX: `${id}.` };
    const code = await runDeadLetterCli(args, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
    return { code, out, err };
  };

  it('list prints each dead letter with its sequence, origin, reason and payload, then the count', async () => {
    await deadLetter(1, '{"orderId":"o1"}');

    const { code, out } = await run('list');

    expect(code).toBe(0);
    expect(out).toEqual([
      expect.stringMatching(
        /^#2 {2}\S+ {2}expiration:complete sequence 1, orders \(orders-service\), 1 deliveries: handler failed: order o1 is not there yet\n {4}\{"orderId":"o1"\}$/,
      ),
      '1 dead letter',
    ]);
  });

  it('list --json prints one JSON line per dead letter', async () => {
    await deadLetter(1, '{"orderId":"o1"}');

    const { code, out } = await run('list', '--json');

    expect(code).toBe(0);
    expect(out.map((l) => JSON.parse(l) as unknown)).toEqual([
      expect.objectContaining({ seq: 2, letter: expect.objectContaining({ payload: '{"orderId":"o1"}' }) }),
    ]);
  });

  it('replay <seq> publishes the event again and says the dead letter was deleted', async () => {
    await deadLetter(1, '{"orderId":"o1"}');
    listener.broken.clear();

    const { code, out } = await run('replay', '2');
    await waitFor(() => listener.handled.includes('o1'), { what: 'the replayed event to be handled' });

    expect(code).toBe(0);
    expect(out).toEqual([
      'replayed dead letter 2: expiration:complete (sequence 1) published again as sequence 3; the dead letter was deleted',
    ]);
  });

  it('replay of a sequence with no dead letter fails with exit code 1 and says why', async () => {
    const { code, err } = await run('replay', '99');

    expect(code).toBe(1);
    expect(err).toEqual([`dead-letters replay: stream ${id} has no message at sequence 99`]);
  });
});
