/**
 * The JetStream transport against the real NATS server of this machine
 * (NATS_URL, nats://127.0.0.1:4222 by default). Every test gets its own
 * stream, subject prefix and queue groups, and deletes its stream afterwards.
 */
import { nanos } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, StorageType } from '@nats-io/jetstream';
import type { Logger } from 'pino';
import { captureLogs } from '../../testing/capture-logs';
import { sleep, waitFor } from '../../testing/wait-for';
import { Listener, type ListenerOptions } from '../../events/listener';
import { CORRELATION_ID_HEADER, correlationIdOf } from '../../events/correlation';
import { Publisher } from '../../events/publisher';
import { ALL_SUBJECTS, Subjects } from '../../events/subjects';
import type { ExpirationCompleteEvent } from '../../events/expiration-complete-event';
import { DEAD_LETTER_SUBJECT, parseDeadLetter } from '../../dead-letter/dead-letter';
import type { EventMessage } from '../event-bus';
import { ACK_PENDING_ROOM, DEAD_LETTER_RETRY_DELIVERIES, JetStreamBus } from '../jetstream-bus';
import { NatsWrapper } from '../nats-wrapper';
import { NATS_URL, useJetStreamTestKit } from '../../__tests__/helpers/jetstream-test-kit';

const kit = useJetStreamTestKit('it');

type Reaction = 'ack' | 'ignore' | 'throw';

interface Received {
  orderId: string;
  sequence: number;
  deliveries: number;
}

class ExpirationListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  // Short, so that redeliveries come within the test.
  protected override ackWait = 1000;
  readonly received: Received[] = [];
  /** When each delivery arrived, in ms since the epoch. */
  readonly arrivals: number[] = [];

  constructor(
    bus: JetStreamBus,
    public queueGroupName: string,
    logger?: Logger,
    private readonly react: (received: Received) => Reaction = () => 'ack',
    options: ListenerOptions = {},
  ) {
    super(bus, { logger, ...options });
  }

  onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): void {
    const received = { orderId: data.orderId, sequence: msg.getSequence(), deliveries: msg.getDeliveryCount() };
    this.received.push(received);
    this.arrivals.push(Date.now());
    const reaction = this.react(received);
    if (reaction === 'throw') throw new Error(`cannot handle ${data.orderId} yet`);
    if (reaction === 'ack') msg.ack();
  }

  get orderIds(): string[] {
    return this.received.map((r) => r.orderId);
  }
}

class ExpirationPublisher extends Publisher<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
}

/** Publishes each order's expiration once, whatever the retries. */
class IdempotentExpirationPublisher extends ExpirationPublisher {
  protected override messageId(data: ExpirationCompleteEvent['data']): string {
    return `expiration:${data.orderId}`;
  }
}

/** Subscribes to expiration:complete without a Listener, acking every message. */
async function ackEverything(bus: JetStreamBus): Promise<EventMessage[]> {
  const seen: EventMessage[] = [];
  await bus.subscribe(
    { subject: Subjects.ExpirationComplete, queueGroupName: kit.group('raw'), ackWait: 5000, maxInFlight: 1 },
    async (msg) => {
      seen.push(msg);
      msg.ack();
    },
  );
  return seen;
}

/** Publishes `{ orderId }` for each id, in order. */
async function publish(bus: JetStreamBus, ...orderIds: string[]): Promise<void> {
  const publisher = new ExpirationPublisher(bus);
  for (const orderId of orderIds) await publisher.publish({ orderId });
}

describe('JetStreamBus against a real NATS server', () => {
  it('delivers a published event to a listener, which acks it', async () => {
    const bus = await kit.connectBus();
    const listener = new ExpirationListener(bus, kit.group('orders'));
    await listener.listen();

    await publish(bus, 'o1');
    await waitFor(() => listener.received.length === 1, { what: 'the delivery' });
    const info = await kit.waitUntilAllAcked(kit.group('orders'));

    expect(listener.received).toEqual([{ orderId: 'o1', sequence: 1, deliveries: 1 }]);
    expect(info.ack_floor.stream_seq).toBe(1);
    expect(bus.isConnected()).toBe(true);
  });

  it('creates a file-backed stream with every subject and the dead-letter subject under the prefix', async () => {
    const bus = await kit.connectBus();

    const info = await kit.jsm.streams.info(kit.id);

    expect(bus.stream).toBe(kit.id);
    expect([...info.config.subjects].sort()).toEqual(
      [...ALL_SUBJECTS, DEAD_LETTER_SUBJECT].map((s) => `${kit.id}.${s}`).sort(),
    );
    expect(info.config.storage).toBe(StorageType.File);
    expect(bus.wireSubject(Subjects.OrderCreated)).toBe(`${kit.id}.order:created`);
  });

  it('adds the missing subjects to an existing stream, keeping its own', async () => {
    const own = `${kit.id}.legacy`;
    await kit.jsm.streams.add({
      name: kit.id,
      subjects: [own, `${kit.id}.${Subjects.TicketCreated}`],
      storage: StorageType.Memory,
    });

    await kit.connectBus();
    await kit.connectBus(); // a second instance finds nothing to add
    const info = await kit.jsm.streams.info(kit.id);

    expect([...info.config.subjects].sort()).toEqual(
      [own, ...[...ALL_SUBJECTS, DEAD_LETTER_SUBJECT].map((s) => `${kit.id}.${s}`)].sort(),
    );
    expect(info.config.storage).toBe(StorageType.Memory);
  });

  it('makes a durable named <queueGroupName>:<subject> with explicit acks, the filter subject, deliver-all and bounded deliveries', async () => {
    const bus = await kit.connectBus();
    await publish(bus, 'before-listen');
    const listener = new ExpirationListener(bus, kit.group('orders'));

    await listener.listen();
    const info = await kit.consumerInfo(kit.group('orders'));
    await waitFor(() => listener.received.length === 1, { what: 'the earlier message' });

    expect(info.name).toBe(`${kit.group('orders')}:expiration:complete`);
    expect(info.config).toMatchObject({
      durable_name: `${kit.group('orders')}:expiration:complete`,
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      filter_subject: `${kit.id}.expiration:complete`,
      ack_wait: nanos(1000),
      max_deliver: 10 + DEAD_LETTER_RETRY_DELIVERIES,
      max_ack_pending: 1 + ACK_PENDING_ROOM,
    });
    expect(listener.orderIds).toEqual(['before-listen']);
  });

  it('updates the ack wait, max deliveries and max ack pending of an existing durable when a new version of the listener changes them', async () => {
    const bus = await kit.connectBus();
    const old = new ExpirationListener(bus, kit.group('orders'));
    await old.listen();
    await old.close();
    class SlowerListener extends ExpirationListener {
      protected override ackWait = 3000;
      protected override maxInFlight = 4;
    }

    await new SlowerListener(bus, kit.group('orders'), undefined, undefined, { maxDeliveries: 3 }).listen();
    const info = await kit.consumerInfo(kit.group('orders'));

    expect(info.config).toMatchObject({
      ack_wait: nanos(3000),
      max_deliver: 3 + DEAD_LETTER_RETRY_DELIVERIES,
      max_ack_pending: 4 + ACK_PENDING_ROOM,
    });
  });

  it('redelivers a message that was not acked within the ack wait', async () => {
    const bus = await kit.connectBus();
    const listener = new ExpirationListener(bus, kit.group('orders'), undefined, (r) =>
      r.deliveries === 1 ? 'ignore' : 'ack',
    );
    await listener.listen();

    await publish(bus, 'o1');
    await waitFor(() => listener.received.length === 2, { what: 'the redelivery', timeoutMs: 15_000 });
    await kit.waitUntilAllAcked(kit.group('orders'));

    expect(listener.received).toEqual([
      { orderId: 'o1', sequence: 1, deliveries: 1 },
      { orderId: 'o1', sequence: 1, deliveries: 2 },
    ]);
  });

  it('when a handler throws, the message comes back and the connection keeps delivering', async () => {
    const { logger, lines } = captureLogs('jetstream-int');
    const bus = await kit.connectBus({ logger });
    const listener = new ExpirationListener(bus, kit.group('orders'), logger, (r) =>
      r.orderId === 'o1' && r.deliveries === 1 ? 'throw' : 'ack',
    );
    await listener.listen();

    await publish(bus, 'o1');
    await waitFor(() => listener.received.length === 2, { what: 'the redelivery', timeoutMs: 15_000 });
    await publish(bus, 'o2');
    await waitFor(() => listener.received.length === 3, { what: 'the next message' });
    await kit.waitUntilAllAcked(kit.group('orders'));

    expect(listener.received).toEqual([
      { orderId: 'o1', sequence: 1, deliveries: 1 },
      { orderId: 'o1', sequence: 1, deliveries: 2 },
      { orderId: 'o2', sequence: 2, deliveries: 1 },
    ]);
    expect(lines.filter((l) => l.level === 'error')).toEqual([
      expect.objectContaining({ subject: Subjects.ExpirationComplete, sequence: 1, deliveries: 1, retryInMs: 500 }),
    ]);
    // The server held the message for the nak delay (500 ms) before sending it again.
    expect(listener.arrivals[1] - listener.arrivals[0]).toBeGreaterThanOrEqual(450);
    expect(bus.isConnected()).toBe(true);
  });

  it('splits the messages between two instances of one queue group, each delivered exactly once', async () => {
    const [busA, busB, publisherBus] = [await kit.connectBus(), await kit.connectBus(), await kit.connectBus()];
    const a = new ExpirationListener(busA, kit.group('orders'));
    const b = new ExpirationListener(busB, kit.group('orders'));
    await a.listen();
    await b.listen();
    // Both instances must be pulling before the messages arrive, or one could take them all.
    await waitFor(async () => (await kit.consumerInfo(kit.group('orders'))).num_waiting >= 2, {
      what: 'two pull requests',
    });
    const orderIds = Array.from({ length: 20 }, (_, i) => `o${i + 1}`);

    await publish(publisherBus, ...orderIds);
    await waitFor(() => a.received.length + b.received.length >= orderIds.length, { what: 'every message' });
    const info = await kit.waitUntilAllAcked(kit.group('orders'));

    expect(a.received.length).toBeGreaterThan(0);
    expect(b.received.length).toBeGreaterThan(0);
    expect([...a.orderIds, ...b.orderIds].sort()).toEqual([...orderIds].sort());
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(orderIds.length);
  });

  it('a restarted listener resumes from its durable position without replaying acked messages', async () => {
    const publisherBus = await kit.connectBus();
    const firstBus = await kit.connectBus();
    const first = new ExpirationListener(firstBus, kit.group('orders'));
    await first.listen();
    await publish(publisherBus, 'o1', 'o2');
    await waitFor(() => first.received.length === 2, { what: 'the first two messages' });
    await kit.waitUntilAllAcked(kit.group('orders'));
    await firstBus.close();

    await publish(publisherBus, 'o3');
    const restarted = new ExpirationListener(await kit.connectBus(), kit.group('orders'));
    await restarted.listen();
    await waitFor(() => restarted.received.length === 1, { what: 'the message sent while it was down' });
    await kit.waitUntilAllAcked(kit.group('orders'));

    expect(first.orderIds).toEqual(['o1', 'o2']);
    expect(restarted.received).toEqual([{ orderId: 'o3', sequence: 3, deliveries: 1 }]);
  });

  it('a second queue group gets every message too, from the start of the stream', async () => {
    const bus = await kit.connectBus();
    const orders = new ExpirationListener(bus, kit.group('orders'));
    await orders.listen();
    await publish(bus, 'o1', 'o2');
    await waitFor(() => orders.received.length === 2, { what: 'the first group' });

    const audit = new ExpirationListener(bus, kit.group('audit'));
    await audit.listen();
    await waitFor(() => audit.received.length === 2, { what: 'the second group' });

    expect(audit.orderIds).toEqual(['o1', 'o2']);
  });

  it('dead-letters and acks an invalid payload instead of redelivering it, and logs it with subject, sequence and reason', async () => {
    const { logger, lines } = captureLogs('jetstream-int');
    const bus = await kit.connectBus({ logger });
    const listener = new ExpirationListener(bus, kit.group('orders'), logger);
    await listener.listen();

    await bus.publish(Subjects.ExpirationComplete, '{bad');
    const warning = await waitFor(() => lines.find((l) => l.level === 'warn'), { what: 'the warning' });
    await kit.waitUntilAllAcked(kit.group('orders'));
    await sleep(1_500); // longer than the ack wait: a redelivery would have come by now
    const info = await kit.consumerInfo(kit.group('orders'));

    expect(warning).toMatchObject({
      subject: Subjects.ExpirationComplete,
      sequence: 1,
      deliveries: 1,
      reason: expect.stringMatching(/^payload is not JSON/),
      msg: 'invalid event; dead-lettering it',
    });
    expect(lines.filter((l) => l.level === 'warn')).toHaveLength(1);
    expect(info.num_redelivered).toBe(0);
    expect(info.delivered.consumer_seq).toBe(1);
    expect(listener.received).toEqual([]);
    const stored = await kit.jsm.streams.getMessage(kit.id, { last_by_subj: `${kit.id}.${DEAD_LETTER_SUBJECT}` });
    expect(parseDeadLetter(stored?.data ?? new Uint8Array())).toMatchObject({
      subject: Subjects.ExpirationComplete,
      sequence: 1,
      reason: warning.reason,
      payload: '{bad',
    });
  });

  it('keeps one message per msgId within the duplicate window', async () => {
    const bus = await kit.connectBus();
    const publisher = new IdempotentExpirationPublisher(bus);
    const listener = new ExpirationListener(bus, kit.group('orders'));
    await listener.listen();

    await publisher.publish({ orderId: 'o1' });
    await publisher.publish({ orderId: 'o1' }); // a retry
    await publisher.publish({ orderId: 'o2' });
    await waitFor(() => listener.received.length === 2, { what: 'both orders' });
    await kit.waitUntilAllAcked(kit.group('orders'));
    const stream = await kit.jsm.streams.info(kit.id);

    expect(stream.state.messages).toBe(2);
    expect(listener.orderIds).toEqual(['o1', 'o2']);
  });

  it("carries a publisher's correlation id to the listener as a NATS header, and still dedupes by msgId", async () => {
    const bus = await kit.connectBus();
    const seen = await ackEverything(bus);
    const publisher = new IdempotentExpirationPublisher(bus);

    await publisher.publish({ orderId: 'o1' }, { correlationId: 'req-1' });
    await publisher.publish({ orderId: 'o1' }, { correlationId: 'req-1' }); // a retry
    await publisher.publish({ orderId: 'o2' });
    await waitFor(() => seen.length === 2, { what: 'both orders' });
    const stream = await kit.jsm.streams.info(kit.id);

    expect(stream.state.messages).toBe(2);
    expect(correlationIdOf(seen[0])).toBe('req-1');
    expect(seen[0].getHeader(CORRELATION_ID_HEADER.toLowerCase())).toBe('req-1');
    expect(seen[0].getHeader('Nats-Msg-Id')).toBe('expiration:o1');
    expect(correlationIdOf(seen[1])).toBeUndefined();
    expect(seen[1].getHeader(CORRELATION_ID_HEADER)).toBeUndefined();
  });

  it('refuses to publish a header named Nats-…, which NATS keeps for itself', async () => {
    const bus = await kit.connectBus();

    await expect(
      bus.publish(Subjects.ExpirationComplete, '{"orderId":"o1"}', { headers: { 'Nats-Msg-Id': 'x' } }),
    ).rejects.toThrow(RangeError);
  });

  it('passes the logical subject, data and delivery details to onMessage', async () => {
    const bus = await kit.connectBus();
    const seen = await ackEverything(bus);

    await bus.publish(Subjects.ExpirationComplete, '{"orderId":"o1"}');
    const [msg] = await waitFor(() => seen.length === 1 && seen, { what: 'the message' });

    expect(msg.getSubject()).toBe(Subjects.ExpirationComplete);
    expect(msg.getSequence()).toBe(1);
    expect(msg.getData()).toBe('{"orderId":"o1"}');
    expect(msg.getRawData().toString()).toBe('{"orderId":"o1"}');
    expect(msg.isRedelivered()).toBe(false);
    expect(msg.getDeliveryCount()).toBe(1);
    expect(Math.abs(msg.getTimestamp().getTime() - Date.now())).toBeLessThan(60_000);
    expect(msg.getTimestampRaw()).toBeGreaterThan(msg.getTimestamp().getTime() * 1e6 - 1e6);
    expect(typeof msg.getCrc32()).toBe('number');
  });

  it('a closed listener stops receiving, and listens again from where it stopped', async () => {
    const bus = await kit.connectBus();
    const listener = new ExpirationListener(bus, kit.group('orders'));
    await listener.listen();
    await publish(bus, 'o1');
    await waitFor(() => listener.received.length === 1, { what: 'the first message' });
    await kit.waitUntilAllAcked(kit.group('orders'));

    await listener.close();
    await publish(bus, 'o2');
    const whileClosed = (await kit.consumerInfo(kit.group('orders'))).num_pending;
    await listener.listen();
    await waitFor(() => listener.received.length === 2, { what: 'the second message' });

    expect(whileClosed).toBe(1);
    expect(listener.orderIds).toEqual(['o1', 'o2']);
  });

  it('close() ends the connection, and a second close() is harmless', async () => {
    const bus = await kit.connectBus();
    await new ExpirationListener(bus, kit.group('orders')).listen();

    await Promise.all([bus.close(), bus.close()]);

    expect(bus.isConnected()).toBe(false);
    expect(bus.connection.isClosed()).toBe(true);
  });

  it('refuses to connect to a server that is not there', async () => {
    await expect(JetStreamBus.connect({ url: 'nats://127.0.0.1:1', stream: kit.id })).rejects.toThrow();
  });
});

describe('NatsWrapper with JetStream', () => {
  it('connects the bus a config names, refuses a second connect, and closes it', async () => {
    const wrapper = new NatsWrapper();
    kit.closeAfter(wrapper);

    const bus = await wrapper.connect({
      kind: 'jetstream',
      url: NATS_URL,
      stream: kit.id,
      subjectPrefix: `${kit.id}.`,
    });
    const second = wrapper.connect({ kind: 'jetstream', url: NATS_URL, stream: kit.id, subjectPrefix: `${kit.id}.` });

    await expect(second).rejects.toThrow('NATS is already connected');
    expect(wrapper.client).toBe(bus);
    expect(bus.kind).toBe('jetstream');
    expect(wrapper.isConnected()).toBe(true);
    await wrapper.close();
    expect(wrapper.isConnected()).toBe(false);
  });
});
