/**
 * The NATS Streaming transport against a fake node-nats-streaming client: no
 * NATS Streaming server exists on this machine, and the server reached end of
 * life in 2023. The fake records what the transport asks of the client.
 */
import { EventEmitter } from 'node:events';
import { crc32 } from 'node:zlib';
import type { Stan } from 'node-nats-streaming';
import { captureLogs } from '../../__tests__/helpers/log-capture';
import { waitFor } from '../../__tests__/helpers/wait-for';
import { Listener } from '../../events/listener';
import { Publisher } from '../../events/publisher';
import { Subjects } from '../../events/subjects';
import type { TicketCreatedEvent } from '../../events/ticket-created-event';
import { isEventBus, type EventMessage } from '../event-bus';
import { StanBus } from '../stan-bus';
import { toEventBus } from '../to-event-bus';

/** Records what the transport sets on node-nats-streaming's option builder. */
class RecordingSubscriptionOptions {
  readonly set: Record<string, unknown> = {};
  setDeliverAllAvailable() {
    this.set.deliverAllAvailable = true;
    return this;
  }
  setManualAckMode(on: boolean) {
    this.set.manualAckMode = on;
    return this;
  }
  setAckWait(ms: number) {
    this.set.ackWait = ms;
    return this;
  }
  setMaxInFlight(n: number) {
    this.set.maxInFlight = n;
    return this;
  }
  setDurableName(name: string) {
    this.set.durableName = name;
    return this;
  }
  setStartWithLastReceived() {
    this.set.startWithLastReceived = true;
    return this;
  }
}

class FakeStanSubscription extends EventEmitter {
  closed = false;
  readonly close = jest.fn(() => {
    this.closed = true;
    setImmediate(() => this.emit('closed'));
  });
  readonly unsubscribe = jest.fn();
  isClosed(): boolean {
    return this.closed;
  }
}

interface SubscribeCall {
  subject: string;
  queueGroup: string;
  options: RecordingSubscriptionOptions;
  subscription: FakeStanSubscription;
}

/** A node-nats-streaming client with no server behind it. */
class FakeStan extends EventEmitter {
  readonly subscribeCalls: SubscribeCall[] = [];
  readonly published: { subject: string; data: string }[] = [];
  /** The error the server answers the next publishes with. */
  publishError?: Error;
  /** The error the server answers the next subscriptions with, instead of 'ready'. */
  subscribeError?: Error;
  readonly close = jest.fn(() => setImmediate(() => this.emit('close')));

  subscriptionOptions(): RecordingSubscriptionOptions {
    return new RecordingSubscriptionOptions();
  }

  subscribe(subject: string, queueGroup: string, options: RecordingSubscriptionOptions): FakeStanSubscription {
    const subscription = new FakeStanSubscription();
    this.subscribeCalls.push({ subject, queueGroup, options, subscription });
    const error = this.subscribeError;
    // The real client answers once the server has registered the subscription.
    setImmediate(() => (error ? subscription.emit('error', error) : subscription.emit('ready')));
    return subscription;
  }

  publish(subject: string, data: string, callback: (err: Error | undefined, guid: string) => void): string {
    const guid = `guid-${this.published.length + 1}`;
    const error = this.publishError;
    if (!error) this.published.push({ subject, data });
    setImmediate(() => callback(error, guid));
    return guid;
  }

  /** The only subscription, which the tests deliver messages on. */
  get subscription(): FakeStanSubscription {
    expect(this.subscribeCalls).toHaveLength(1);
    return this.subscribeCalls[0].subscription;
  }

  asStan(): Stan {
    return this as unknown as Stan;
  }
}

/** A node-nats-streaming message as the server delivers it. */
class FakeStanMessage {
  readonly ack = jest.fn();
  private readonly raw: Buffer;

  constructor(
    private readonly subject: string,
    private readonly sequence: number,
    payload: unknown,
    private readonly redelivered = false,
  ) {
    this.raw = Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
  }
  getSubject() {
    return this.subject;
  }
  getSequence() {
    return this.sequence;
  }
  getRawData() {
    return this.raw;
  }
  getData() {
    return this.raw.toString('utf8');
  }
  getTimestampRaw() {
    return 1_700_000_000_000 * 1e6;
  }
  getTimestamp() {
    return new Date(1_700_000_000_000);
  }
  isRedelivered() {
    return this.redelivered;
  }
  getCrc32() {
    return crc32(this.raw);
  }
}

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
  it('subscribes with deliver-all, manual acks, the ack wait, max in flight and the queue group as durable name', async () => {
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
      maxInFlight: 3,
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

  it('follows the connection state the client reports', () => {
    const stan = new FakeStan();
    const { logger, lines } = captureLogs('stan-test');
    const bus = new StanBus(stan.asStan(), logger);
    const states: boolean[] = [bus.isConnected()];

    for (const event of ['disconnect', 'reconnect', 'connection_lost', 'connect', 'close']) {
      stan.emit(event, event === 'connection_lost' ? new Error('lost') : undefined);
      states.push(bus.isConnected());
    }

    expect(states).toEqual([true, false, true, false, true, false]);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ msg: 'NATS Streaming connection lost' });
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
