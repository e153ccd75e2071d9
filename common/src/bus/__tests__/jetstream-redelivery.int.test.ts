/**
 * Bounded redelivery and dead letters on the JetStream transport, against the
 * real NATS server of this machine (NATS_URL, nats://127.0.0.1:4222 by
 * default). Every test gets its own stream and subject prefix, and deletes its
 * stream afterwards.
 */
import { captureLogs } from '../../testing/capture-logs';
import { waitFor } from '../../testing/wait-for';
import { DEAD_LETTER_SUBJECT, parseDeadLetter, type DeadLetter } from '../../dead-letter/dead-letter';
import { Listener, type ListenerOptions } from '../../events/listener';
import { Publisher } from '../../events/publisher';
import { ALL_SUBJECTS, Subjects } from '../../events/subjects';
import type { ExpirationCompleteEvent } from '../../events/expiration-complete-event';
import type { EventMessage } from '../event-bus';
import { JetStreamBus } from '../jetstream-bus';
import { useJetStreamTestKit } from '../../__tests__/helpers/jetstream-test-kit';

const kit = useJetStreamTestKit('rd');

interface Received {
  orderId: string;
  deliveries: number;
  at: number;
}

/** Handles one message at a time; fails the orders in `poison`; may take `handleMs` per message. */
class ExpirationListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  protected override ackWait = 1_000;
  readonly received: Received[] = [];
  readonly poison = new Set<string>();
  handleMs = 0;
  /** Overrides the nak delay, to keep tests short. */
  fixedRetryDelayMs?: number;

  constructor(
    bus: JetStreamBus,
    public queueGroupName: string,
    options: ListenerOptions = {},
  ) {
    super(bus, options);
  }

  async onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): Promise<void> {
    this.received.push({ orderId: data.orderId, deliveries: msg.getDeliveryCount(), at: Date.now() });
    if (this.handleMs > 0) await new Promise((resolve) => setTimeout(resolve, this.handleMs));
    if (this.poison.has(data.orderId)) throw new Error(`order ${data.orderId} is poison`);
    msg.ack();
  }

  protected override retryDelay(deliveries: number): number {
    return this.fixedRetryDelayMs ?? super.retryDelay(deliveries);
  }

  deliveriesOf(orderId: string): Received[] {
    return this.received.filter((r) => r.orderId === orderId);
  }
}

class ExpirationPublisher extends Publisher<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
}

async function publish(bus: JetStreamBus, ...orderIds: string[]): Promise<void> {
  const publisher = new ExpirationPublisher(bus);
  for (const orderId of orderIds) await publisher.publish({ orderId });
}

/** The dead letters in the test's stream, oldest first. */
async function deadLetters(): Promise<(DeadLetter & { streamSequence: number })[]> {
  const info = await kit.jsm.streams.info(kit.id, { subjects_filter: `${kit.id}.${DEAD_LETTER_SUBJECT}` });
  const letters: (DeadLetter & { streamSequence: number })[] = [];
  if (!info.state.subjects?.[`${kit.id}.${DEAD_LETTER_SUBJECT}`]) return letters;
  for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
    const stored = await kit.jsm.streams.getMessage(kit.id, { seq }).catch(() => null);
    if (stored?.subject === `${kit.id}.${DEAD_LETTER_SUBJECT}`) {
      letters.push({ ...parseDeadLetter(stored.data), streamSequence: seq });
    }
  }
  return letters;
}

/** Takes the dead-letter subject out of the stream, so that publishing a dead letter fails. */
async function dropDeadLetterSubject(): Promise<void> {
  const info = await kit.jsm.streams.info(kit.id);
  const subjects = info.config.subjects.filter((s) => s !== `${kit.id}.${DEAD_LETTER_SUBJECT}`);
  await kit.jsm.streams.update(kit.id, { ...info.config, subjects });
}

async function restoreDeadLetterSubject(): Promise<void> {
  const info = await kit.jsm.streams.info(kit.id);
  await kit.jsm.streams.update(kit.id, {
    ...info.config,
    subjects: [...info.config.subjects, `${kit.id}.${DEAD_LETTER_SUBJECT}`],
  });
}

describe('bounded redelivery on JetStream', () => {
  it('dead-letters a message whose handler always fails after exactly maxDeliveries deliveries, then acks it', async () => {
    const { logger, lines } = captureLogs('redelivery-int');
    const bus = await kit.connectBus({ logger });
    const listener = new ExpirationListener(bus, kit.group('orders'), { logger, maxDeliveries: 3, service: 'orders' });
    listener.poison.add('o1');
    await listener.listen();

    await publish(bus, 'o1');
    const [letter] = await waitFor(async () => (await deadLetters()).length === 1 && deadLetters(), {
      what: 'the dead letter',
      timeoutMs: 20_000,
    });
    const info = await kit.waitUntilAllAcked(kit.group('orders'));

    expect(listener.deliveriesOf('o1').map((r) => r.deliveries)).toEqual([1, 2, 3]);
    expect(info.delivered.consumer_seq).toBe(3);
    expect(letter).toEqual({
      subject: Subjects.ExpirationComplete,
      queueGroup: kit.group('orders'),
      service: 'orders',
      sequence: 1,
      deliveries: 3,
      reason: 'handler failed: order o1 is poison',
      payload: '{"orderId":"o1"}',
      payloadEncoding: 'utf8',
      payloadBytes: 16,
      truncated: false,
      failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      streamSequence: 2,
    });
    expect(lines.filter((l) => l.msg === 'event dead-lettered')).toEqual([
      expect.objectContaining({ level: 'error', subject: Subjects.ExpirationComplete, sequence: 1, deliveries: 3 }),
    ]);
  });

  it('with maxInFlight 1, handles the messages published after a poison one while it waits for its redelivery', async () => {
    const bus = await kit.connectBus();
    const listener = new ExpirationListener(bus, kit.group('orders'), { maxDeliveries: 3 });
    listener.poison.add('poison');
    await listener.listen();

    await publish(bus, 'poison', 'o2', 'o3');
    await waitFor(() => listener.deliveriesOf('poison').length === 2, { what: 'the redelivery of the poison' });
    await kit.waitUntilAllAcked(kit.group('orders'));

    const [firstTry, secondTry] = listener.deliveriesOf('poison');
    const valid = [...listener.deliveriesOf('o2'), ...listener.deliveriesOf('o3')];
    expect(valid.map((r) => r.deliveries)).toEqual([1, 1]);
    expect(valid.every((r) => r.at >= firstTry.at && r.at < secondTry.at)).toBe(true);
  });

  it('pulls no more than it handles at once, so a slow handler does not let queued messages pass their ack wait', async () => {
    const bus = await kit.connectBus();
    const listener = new ExpirationListener(bus, kit.group('orders'));
    // Four messages at 400 ms each, one at a time: with any in a client buffer,
    // the last would wait 1.2 s, past the 1 s ack wait, and come twice.
    listener.handleMs = 400;
    await listener.listen();

    await publish(bus, 'o1', 'o2', 'o3', 'o4');
    await waitFor(() => listener.received.length >= 4, { what: 'every message' });
    const info = await kit.waitUntilAllAcked(kit.group('orders'));

    expect(listener.received.map((r) => [r.orderId, r.deliveries])).toEqual([
      ['o1', 1],
      ['o2', 1],
      ['o3', 1],
      ['o4', 1],
    ]);
    expect(info.num_redelivered).toBe(0);
  });

  it('when the dead letter cannot be published, naks the message and publishes the dead letter on its next delivery', async () => {
    const { logger, lines } = captureLogs('redelivery-int');
    const bus = await kit.connectBus({ logger });
    const listener = new ExpirationListener(bus, kit.group('orders'), { logger, maxDeliveries: 1 });
    listener.poison.add('o1');
    await listener.listen();
    await dropDeadLetterSubject();

    await publish(bus, 'o1');
    await waitFor(
      () => lines.some((l) => l.msg === 'publishing the dead letter failed; the message will be redelivered'),
      {
        what: 'the failed dead letter',
      },
    );
    await restoreDeadLetterSubject();
    const [letter] = await waitFor(async () => (await deadLetters()).length === 1 && deadLetters(), {
      what: 'the dead letter',
    });
    await kit.waitUntilAllAcked(kit.group('orders'));

    expect(listener.deliveriesOf('o1')).toHaveLength(1);
    expect(letter).toMatchObject({ deliveries: 2, reason: 'handler failed: order o1 is poison' });
  });

  it('logs an error when the server gives up on a message whose dead letter could never be published', async () => {
    const { logger, lines } = captureLogs('redelivery-int');
    // One attempt per dead letter: with the default publish retries each of
    // the six failing dead letters would take 6 s before the message is nak'ed.
    const noRetry = { attempts: 1, firstDelayMs: 0, maxDelayMs: 0, deadlineMs: 0 };
    const bus = await kit.connectBus({ logger, publishRetry: noRetry });
    const listener = new ExpirationListener(bus, kit.group('orders'), { logger, maxDeliveries: 1 });
    listener.poison.add('o1');
    listener.fixedRetryDelayMs = 50;
    await listener.listen();
    await dropDeadLetterSubject();

    await publish(bus, 'o1');
    const logged = await waitFor(() => lines.find((l) => l.msg.startsWith('JetStream stopped delivering a message')), {
      what: 'the max deliveries advisory',
      timeoutMs: 20_000,
    });

    expect(logged).toMatchObject({ level: 'error', subject: Subjects.ExpirationComplete, sequence: 1 });
    expect(
      lines.filter((l) => l.msg === 'publishing the dead letter failed; the message will be redelivered'),
    ).toHaveLength(6);
  });

  it('keeps the stream subjects it needs: every event subject and the dead-letter subject', async () => {
    await kit.connectBus();

    const info = await kit.jsm.streams.info(kit.id);

    expect(info.config.subjects).toEqual(
      expect.arrayContaining([...ALL_SUBJECTS, DEAD_LETTER_SUBJECT].map((s) => `${kit.id}.${s}`)),
    );
  });
});
