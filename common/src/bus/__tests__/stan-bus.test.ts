/**
 * The NATS Streaming transport against a fake node-nats-streaming client (see
 * helpers/fake-stan.ts). The fake records what the transport asks of the client.
 */
import nats, { type Stan } from 'node-nats-streaming';
import { FakeStan, FakeStanMessage } from '../../__tests__/helpers/fake-stan';
import { captureLogs } from '../../testing/capture-logs';
import { waitFor } from '../../testing/wait-for';
import { Listener } from '../../events/listener';
import { Publisher } from '../../events/publisher';
import { CORRELATION_ID_HEADER, correlationIdOf } from '../../events/correlation';
import { Subjects } from '../../events/subjects';
import type { TicketCreatedEvent } from '../../events/ticket-created-event';
import { DEAD_LETTER_SUBJECT, parseDeadLetter } from '../../dead-letter/dead-letter';
import { isEventBus, type EventMessage } from '../event-bus';
import { STAN_RETRY_SLOTS, StanBus } from '../stan-bus';
import { toEventBus } from '../to-event-bus';
const ticket: TicketCreatedEvent['data'] = { id: 't1', version: 0, title: 'Concert', price: 20, userId: 'u1' };

/** Written as in the course: `new TicketCreatedListener(natsWrapper.client).listen()`. */
class TicketCreatedListener extends Listener<TicketCreatedEvent> {
  subject: Subjects.TicketCreated = Subjects.TicketCreated;
  queueGroupName = 'orders-service';
  protected override ackWait = 7_000;
  protected override maxInFlight = 3;
  readonly deliveries: { id: string; count: number }[] = [];
  /** How many of the first deliveries fail. */
  failures = 0;

  async onMessage(data: TicketCreatedEvent['data'], msg: EventMessage): Promise<void> {
    this.deliveries.push({ id: data.id, count: msg.getDeliveryCount() });
    if (this.deliveries.length <= this.failures) throw new Error('database is down');
    msg.ack();
  }
}

class TicketCreatedPublisher extends Publisher<TicketCreatedEvent> {
  subject: Subjects.TicketCreated = Subjects.TicketCreated;
}

describe('StanBus with a raw node-nats-streaming client', () => {
  it('subscribes with deliver-all, manual acks, the ack wait, room for retries in flight and the queue group as durable name', async () => {
    const stan = new FakeStan();

    await new TicketCreatedListener(stan.asStan()).listen();

    expect(stan.subscribeCalls).toHaveLength(1);
    const [call] = stan.subscribeCalls;
    expect(call.subject).toBe(Subjects.TicketCreated);
    expect(call.queueGroup).toBe('orders-service');
    expect(call.options.set).toEqual({
      deliverAllAvailable: true,
      manualAckMode: true,
      ackWait: 7_000,
      maxInFlight: 3 + STAN_RETRY_SLOTS,
      durableName: 'orders-service',
    });
  });

  it('wraps each raw client once, so every listener and publisher of a client shares one bus', () => {
    const stan = new FakeStan();

    const bus = toEventBus(stan.asStan());

    expect(isEventBus(bus)).toBe(true);
    expect(bus.kind).toBe('stan');
    expect(toEventBus(stan.asStan())).toBe(bus);
    expect(StanBus.wrap(stan.asStan())).toBe(bus);
    expect(toEventBus(new FakeStan().asStan())).not.toBe(bus);
  });

  it('a listener built from the raw client, course style, handles a message and acks it', async () => {
    const stan = new FakeStan();
    const listener = new TicketCreatedListener(stan.asStan());
    // The course does not await listen(); the subscription goes live when the server answers.
    void listener.listen();
    await waitFor(() => stan.subscribeCalls.length === 1, { what: 'the subscription' });
    const msg = new FakeStanMessage(Subjects.TicketCreated, 1, ticket);

    stan.subscription.emit('message', msg);
    await waitFor(() => msg.ack.mock.calls.length > 0, { what: 'the ack' });

    expect(listener.deliveries).toEqual([{ id: 't1', count: 1 }]);
    expect(msg.ack).toHaveBeenCalledTimes(1);
  });

  it('when a handler throws, the message is not acked, nothing escapes the message callback, and the next message is handled', async () => {
    const stan = new FakeStan();
    const { logger, lines } = captureLogs('stan-test');
    const listener = new TicketCreatedListener(stan.asStan(), { logger });
    listener.failures = 1;
    await listener.listen();
    const failing = new FakeStanMessage(Subjects.TicketCreated, 1, ticket);
    const next = new FakeStanMessage(Subjects.TicketCreated, 2, { ...ticket, id: 't2' });

    expect(() => stan.subscription.emit('message', failing)).not.toThrow();
    await waitFor(() => lines.some((l) => l.level === 'error'), { what: 'the handler error log' });
    stan.subscription.emit('message', next);
    await waitFor(() => next.ack.mock.calls.length > 0, { what: 'the next ack' });

    expect(failing.ack).not.toHaveBeenCalled();
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ subject: Subjects.TicketCreated, sequence: 1 });
    expect(listener.deliveries.map((d) => d.id)).toEqual(['t1', 't2']);
    expect(toEventBus(stan.asStan()).isConnected()).toBe(true);
  });

  it('when the bus handler itself rejects, the error is logged and does not escape the client callback (nats-io/stan.js#200)', async () => {
    const stan = new FakeStan();
    const { logger, lines } = captureLogs('stan-test');
    const bus = new StanBus(stan.asStan(), logger);
    await bus.subscribe(
      { subject: Subjects.TicketCreated, queueGroupName: 'g', ackWait: 1000, maxInFlight: 1 },
      async () => {
        throw new Error('handler bug');
      },
    );
    const msg = new FakeStanMessage(Subjects.TicketCreated, 1, ticket);

    expect(() => stan.subscription.emit('message', msg)).not.toThrow();
    const logged = await waitFor(() => lines.find((l) => l.msg === 'message handler failed'), { what: 'the log' });

    expect(logged).toMatchObject({ level: 'error', subject: Subjects.TicketCreated });
    expect((logged.err as { message: string }).message).toBe('handler bug');
    expect(msg.ack).not.toHaveBeenCalled();
  });

  it('counts the redeliveries of a message, so getDeliveryCount grows, while a new message starts at 1', async () => {
    const stan = new FakeStan();
    const listener = new TicketCreatedListener(stan.asStan());
    listener.failures = 2;
    await listener.listen();
    const deliver = async (msg: FakeStanMessage, expected: number) => {
      stan.subscription.emit('message', msg);
      await waitFor(() => listener.deliveries.length === expected, { what: `delivery ${expected}` });
    };

    await deliver(new FakeStanMessage(Subjects.TicketCreated, 5, ticket), 1);
    await deliver(new FakeStanMessage(Subjects.TicketCreated, 5, ticket, true), 2);
    const third = new FakeStanMessage(Subjects.TicketCreated, 5, ticket, true);
    await deliver(third, 3);
    await deliver(new FakeStanMessage(Subjects.TicketCreated, 6, { ...ticket, id: 't6' }), 4);

    expect(listener.deliveries).toEqual([
      { id: 't1', count: 1 },
      { id: 't1', count: 2 },
      { id: 't1', count: 3 },
      { id: 't6', count: 1 },
    ]);
    expect(third.ack).toHaveBeenCalledTimes(1);
  });

  it('gives a redelivered message first seen by this process a count of 2', async () => {
    const stan = new FakeStan();
    const listener = new TicketCreatedListener(stan.asStan());
    await listener.listen();

    stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, 9, ticket, true));
    await waitFor(() => listener.deliveries.length === 1, { what: 'the delivery' });

    expect(listener.deliveries[0].count).toBe(2);
  });

  it('exposes the message API of node-nats-streaming to onMessage', async () => {
    const stan = new FakeStan();
    const seen: EventMessage[] = [];
    const bus = new StanBus(stan.asStan());
    await bus.subscribe(
      { subject: Subjects.TicketCreated, queueGroupName: 'g', ackWait: 1000, maxInFlight: 1 },
      async (m) => {
        seen.push(m);
      },
    );
    const raw = new FakeStanMessage(Subjects.TicketCreated, 4, '{"x":1}');

    stan.subscription.emit('message', raw);
    await waitFor(() => seen.length === 1, { what: 'the message' });
    const [msg] = seen;
    msg.nak(1000); // NATS Streaming has no nak: a no-op
    msg.ack();

    expect(msg.getSubject()).toBe(Subjects.TicketCreated);
    expect(msg.getSequence()).toBe(4);
    expect(msg.getData()).toBe('{"x":1}');
    expect(msg.getRawData()).toEqual(Buffer.from('{"x":1}'));
    expect(msg.getTimestamp()).toEqual(raw.getTimestamp());
    expect(msg.getTimestampRaw()).toBe(raw.getTimestampRaw());
    expect(msg.isRedelivered()).toBe(false);
    expect(msg.getCrc32()).toBe(raw.getCrc32());
    expect(raw.ack).toHaveBeenCalledTimes(1);
  });

  it('rejects subscribe when the server answers the subscription with an error', async () => {
    const stan = new FakeStan();
    stan.subscribeError = new Error('duplicate durable registration');

    await expect(new TicketCreatedListener(stan.asStan()).listen()).rejects.toThrow('duplicate durable registration');
  });

  it('a publisher resolves once the publish callback reports success', async () => {
    const stan = new FakeStan();

    await new TicketCreatedPublisher(stan.asStan()).publish(ticket);

    expect(stan.published).toEqual([{ subject: Subjects.TicketCreated, data: JSON.stringify(ticket) }]);
  });

  it('a publisher rejects with the error the publish callback reports', async () => {
    const stan = new FakeStan();
    stan.publishError = new Error('stan: publish ack timeout');

    await expect(new TicketCreatedPublisher(stan.asStan()).publish(ticket)).rejects.toThrow(
      'stan: publish ack timeout',
    );
  });

  it('follows the connection state the client reports while it reconnects', () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    const states: boolean[] = [bus.isConnected()];

    for (const event of ['disconnect', 'reconnect', 'disconnect', 'connect']) {
      stan.emit(event);
      states.push(bus.isConnected());
    }

    expect(states).toEqual([true, false, true, false, true]);
    expect(bus.downForMs()).toBe(0);
  });

  it('counts how long the connection has been down', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());

    stan.emit('disconnect');
    await waitFor(() => bus.downForMs() >= 30, { what: 'downForMs to grow' });
    stan.emit('reconnect');

    expect(bus.downForMs()).toBe(0);
  });

  it('on connection_lost, reports the bus lost once, logs it, and stays down while downForMs grows', async () => {
    const stan = new FakeStan();
    const { logger, lines } = captureLogs('stan-test');
    const bus = new StanBus(stan.asStan(), logger);
    const lost: Error[] = [];
    bus.onLost((err) => lost.push(err));
    const err = new Error('stan: connection lost');

    stan.emit('connection_lost', err);
    stan.emit('close'); // node-nats-streaming closes the client after connection_lost
    const downAtFirst = bus.downForMs();
    await waitFor(() => bus.downForMs() > downAtFirst + 20, { what: 'downForMs to grow' });

    expect(lost).toEqual([err]);
    expect(bus.isConnected()).toBe(false);
    expect(lines.filter((l) => l.level === 'error').map((l) => l.msg)).toEqual(['NATS Streaming connection lost']);
  });

  it('reports the bus lost when the client closes without close() having been called', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    const lost: Error[] = [];

    stan.emit('close');
    bus.onLost((err) => lost.push(err)); // registered after the loss: still told
    await waitFor(() => lost.length === 1, { what: 'the lost callback' });

    expect(lost[0].message).toBe('the NATS Streaming client closed on its own');
    expect(bus.isConnected()).toBe(false);
  });

  it('does not report the bus lost when close() closes it', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    const lost: Error[] = [];
    bus.onLost((err) => lost.push(err));

    await bus.close();

    expect(lost).toEqual([]);
    expect(bus.isConnected()).toBe(false);
  });

  it('accepts a bare mock client with no event emitter, as course tests pass', async () => {
    const published: string[] = [];
    const mock = {
      publish: (_subject: string, data: string, callback: () => void) => {
        published.push(data);
        callback();
      },
    } as unknown as Stan;

    await new TicketCreatedPublisher(mock).publish(ticket);

    expect(published).toEqual([JSON.stringify(ticket)]);
  });

  it('close() closes the subscriptions, keeping the durable, then the client; twice is the same as once', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    await bus.subscribe(
      { subject: Subjects.TicketCreated, queueGroupName: 'g', ackWait: 1000, maxInFlight: 1 },
      async () => {},
    );

    await Promise.all([bus.close(), bus.close()]);
    await bus.close();

    expect(stan.subscription.close).toHaveBeenCalledTimes(1);
    expect(stan.subscription.unsubscribe).not.toHaveBeenCalled();
    expect(stan.close).toHaveBeenCalledTimes(1);
    expect(bus.isConnected()).toBe(false);
  });

  it('close() while the connection is down still closes the client, so that it stops reconnecting', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    stan.emit('disconnect');

    await bus.close();

    expect(stan.close).toHaveBeenCalledTimes(1);
  });

  it('close() after the client has closed on its own returns at once', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    stan.emit('connection_lost', new Error('lost'));
    stan.emit('close');

    await bus.close();

    expect(stan.close).not.toHaveBeenCalled();
  });

  it('closing a listener closes its subscription and waits for the message in flight', async () => {
    const stan = new FakeStan();
    let finish = () => {};
    const bus = new StanBus(stan.asStan());
    const subscription = await bus.subscribe(
      { subject: Subjects.TicketCreated, queueGroupName: 'g', ackWait: 1000, maxInFlight: 1 },
      () => new Promise<void>((resolve) => (finish = resolve)),
    );
    stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, 1, ticket));
    let closed = false;

    const closing = subscription.close().then(() => (closed = true));
    await waitFor(() => stan.subscription.close.mock.calls.length === 1, { what: 'the subscription close' });
    await new Promise((resolve) => setImmediate(resolve));
    const closedBeforeFinish = closed;
    finish();
    await closing;

    expect(closedBeforeFinish).toBe(false);
    expect(closed).toBe(true);
  });
});

describe('StanBus concurrency and redelivery', () => {
  /** Handles one message at a time, and fails the tickets named in `failing`. */
  class OneAtATimeListener extends TicketCreatedListener {
    protected override maxInFlight = 1;
    readonly failing = new Set<string>();
    override async onMessage(data: TicketCreatedEvent['data'], msg: EventMessage): Promise<void> {
      this.deliveries.push({ id: data.id, count: msg.getDeliveryCount() });
      if (this.failing.has(data.id)) throw new Error('database is down');
      msg.ack();
    }
  }

  const spec = (maxInFlight: number, ackWait = 30_000) => ({
    subject: Subjects.TicketCreated,
    queueGroupName: 'g',
    ackWait,
    maxInFlight,
  });

  it('with maxInFlight 1, the messages behind a failing one are handled while it waits for its redelivery', async () => {
    const stan = new FakeStan();
    const listener = new OneAtATimeListener(stan.asStan());
    listener.failing.add('poison');
    await listener.listen();
    const poison = new FakeStanMessage(Subjects.TicketCreated, 1, { ...ticket, id: 'poison' });
    const valid = [2, 3, 4].map(
      (seq) => new FakeStanMessage(Subjects.TicketCreated, seq, { ...ticket, id: `t${seq}` }),
    );

    for (const msg of [poison, ...valid]) stan.subscription.emit('message', msg);
    await waitFor(() => valid.every((m) => m.ack.mock.calls.length === 1), { what: 'the valid messages acked' });

    expect(stan.subscribeCalls[0].options.set.maxInFlight).toBe(1 + STAN_RETRY_SLOTS);
    expect(poison.ack).not.toHaveBeenCalled();
    expect(listener.deliveries.map((d) => d.id)).toEqual(['poison', 't2', 't3', 't4']);
  });

  it('runs at most maxInFlight handlers at once and starts the queued messages in order', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    const started: number[] = [];
    const finish = new Map<number, () => void>();
    await bus.subscribe(spec(2), (msg) => {
      started.push(msg.getSequence());
      return new Promise<void>((resolve) => finish.set(msg.getSequence(), resolve));
    });

    for (const seq of [1, 2, 3, 4])
      stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, seq, ticket));
    await waitFor(() => started.length === 2, { what: 'two handlers' });
    const whileTwoRun = [...started];
    finish.get(2)?.();
    await waitFor(() => started.length === 3, { what: 'the third handler' });
    finish.get(1)?.();
    await waitFor(() => started.length === 4, { what: 'the fourth handler' });

    expect(whileTwoRun).toEqual([1, 2]);
    expect(started).toEqual([1, 2, 3, 4]);
  });

  it('skips a queued message whose ack wait ran out while it waited, and logs it: the server redelivers it', async () => {
    const stan = new FakeStan();
    const { logger, lines } = captureLogs('stan-test');
    const bus = new StanBus(stan.asStan(), logger);
    const handled: number[] = [];
    let release = () => {};
    await bus.subscribe(spec(1, 1_000), (msg) => {
      handled.push(msg.getSequence());
      return msg.getSequence() === 1 ? new Promise<void>((resolve) => (release = resolve)) : Promise.resolve();
    });
    const now = Date.now();
    const clock = jest.spyOn(Date, 'now').mockReturnValue(now);

    stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, 1, ticket));
    stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, 2, ticket));
    clock.mockReturnValue(now + 1_000);
    release();
    await waitFor(() => lines.some((l) => l.level === 'warn'), { what: 'the warning' });
    clock.mockRestore();
    stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, 2, ticket, true));
    await waitFor(() => handled.length === 2, { what: 'the redelivery' });

    expect(handled).toEqual([1, 2]);
    expect(lines.find((l) => l.level === 'warn')).toMatchObject({ sequence: 2, ackWait: 1_000 });
  });

  it('a failing message is dead-lettered on the dead-letter channel and acked on its last allowed delivery', async () => {
    const stan = new FakeStan();
    const listener = new OneAtATimeListener(stan.asStan(), { maxDeliveries: 2, service: 'orders' });
    listener.failing.add('poison');
    await listener.listen();
    const first = new FakeStanMessage(Subjects.TicketCreated, 5, { ...ticket, id: 'poison' });
    const second = new FakeStanMessage(Subjects.TicketCreated, 5, { ...ticket, id: 'poison' }, true);

    stan.subscription.emit('message', first);
    await waitFor(() => listener.deliveries.length === 1, { what: 'the first delivery' });
    stan.subscription.emit('message', second);
    await waitFor(() => second.ack.mock.calls.length === 1, { what: 'the ack of the last delivery' });

    expect(first.ack).not.toHaveBeenCalled();
    expect(stan.published.map((p) => p.subject)).toEqual([DEAD_LETTER_SUBJECT]);
    expect(parseDeadLetter(stan.published[0].data)).toMatchObject({
      subject: Subjects.TicketCreated,
      queueGroup: 'orders-service',
      service: 'orders',
      sequence: 5,
      deliveries: 2,
      reason: 'handler failed: database is down',
      payload: JSON.stringify({ ...ticket, id: 'poison' }),
    });
  });
});

describe('StanBus and headers', () => {
  it('publishes without the headers, which NATS Streaming cannot carry', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());

    await bus.publish(Subjects.TicketCreated, JSON.stringify(ticket), {
      headers: { [CORRELATION_ID_HEADER]: 'req-1' },
    });

    expect(stan.published).toEqual([{ subject: Subjects.TicketCreated, data: JSON.stringify(ticket) }]);
  });

  it('a publisher given a correlation id still publishes the event', async () => {
    const stan = new FakeStan();

    await new TicketCreatedPublisher(stan.asStan()).publish(ticket, { correlationId: 'req-1' });

    expect(stan.published.map((p) => JSON.parse(p.data) as unknown)).toEqual([ticket]);
  });

  it('a delivered message has no headers, so no correlation id', async () => {
    const stan = new FakeStan();
    const bus = new StanBus(stan.asStan());
    const seen: EventMessage[] = [];
    await bus.subscribe(
      { subject: Subjects.TicketCreated, queueGroupName: 'g', ackWait: 1000, maxInFlight: 1 },
      async (msg) => void seen.push(msg),
    );

    stan.subscription.emit('message', new FakeStanMessage(Subjects.TicketCreated, 1, ticket));
    const [msg] = await waitFor(() => seen.length === 1 && seen, { what: 'the message' });

    expect(msg.getHeader(CORRELATION_ID_HEADER)).toBeUndefined();
    expect(correlationIdOf(msg)).toBeUndefined();
  });
});

describe('StanBus.connect', () => {
  afterEach(() => jest.restoreAllMocks());

  it('hands the NATS client every server of a cluster: the first as its url, the others as its servers', async () => {
    const stan = new FakeStan();
    const connect = jest.spyOn(nats, 'connect').mockImplementation(() => {
      setImmediate(() => stan.emit('connect'));
      return stan.asStan();
    });

    const bus = await StanBus.connect({
      url: ['nats://nats-0:4222', 'nats://nats-1:4222', 'nats://nats-2:4222'],
      clusterId: 'ticketing',
      clientId: 'pod-1',
    });

    expect(connect).toHaveBeenCalledWith('ticketing', 'pod-1', {
      url: 'nats://nats-0:4222',
      servers: ['nats://nats-1:4222', 'nats://nats-2:4222'],
    });
    expect(bus.isConnected()).toBe(true);
  });

  it('refuses an empty list of servers', async () => {
    await expect(StanBus.connect({ url: [], clusterId: 'ticketing', clientId: 'pod-1' })).rejects.toThrow(
      'StanBus.connect needs at least one NATS URL',
    );
  });
});
