import { isEventBus, type EventMessage } from '../../bus/event-bus';
import { Listener } from '../../events/listener';
import { Publisher } from '../../events/publisher';
import { Subjects } from '../../events/subjects';
import type { ExpirationCompleteEvent } from '../../events/expiration-complete-event';
import type { PaymentCreatedEvent } from '../../events/payment-created-event';
import { FakeEventBus, FakeMessage, createSpy, waitFor } from '..';

class ExpirationListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  readonly seen: string[] = [];

  constructor(
    bus: FakeEventBus,
    public queueGroupName: string,
  ) {
    super(bus);
  }

  onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): void {
    this.seen.push(data.orderId);
    msg.ack();
  }
}

class ExpirationPublisher extends Publisher<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
}

class PaymentPublisher extends Publisher<PaymentCreatedEvent> {
  subject: Subjects.PaymentCreated = Subjects.PaymentCreated;
}

describe('FakeEventBus', () => {
  it('is an event bus of kind memory, connected from the start', () => {
    const bus = new FakeEventBus();

    expect(isEventBus(bus)).toBe(true);
    expect(bus.kind).toBe('memory');
    expect(bus.isConnected()).toBe(true);
  });

  it('records every publish in order, with its subject, data and msgId', async () => {
    const bus = new FakeEventBus();

    await new ExpirationPublisher(bus).publish({ orderId: 'o1' });
    await new PaymentPublisher(bus).publish({ id: 'p1', orderId: 'o1', stripeId: 's1' });
    await bus.publish(Subjects.ExpirationComplete, '{"orderId":"o2"}', { msgId: 'm2' });

    expect(bus.published).toEqual([
      { subject: Subjects.ExpirationComplete, data: { orderId: 'o1' }, msgId: undefined },
      { subject: Subjects.PaymentCreated, data: { id: 'p1', orderId: 'o1', stripeId: 's1' }, msgId: undefined },
      { subject: Subjects.ExpirationComplete, data: { orderId: 'o2' }, msgId: 'm2' },
    ]);
  });

  it('publishedOn returns the payloads of one subject only', async () => {
    const bus = new FakeEventBus();
    await new ExpirationPublisher(bus).publish({ orderId: 'o1' });
    await new PaymentPublisher(bus).publish({ id: 'p1', orderId: 'o1', stripeId: 's1' });
    await new ExpirationPublisher(bus).publish({ orderId: 'o2' });

    expect(bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([
      { orderId: 'o1' },
      { orderId: 'o2' },
    ]);
    expect(bus.publishedOn(Subjects.OrderCreated)).toEqual([]);
  });

  it('failNextPublishes makes exactly that many publishes reject, then works again', async () => {
    const bus = new FakeEventBus();
    const publisher = new ExpirationPublisher(bus);
    bus.failNextPublishes(2, new Error('outage'));

    const results = await Promise.allSettled([
      publisher.publish({ orderId: 'o1' }),
      publisher.publish({ orderId: 'o2' }),
      publisher.publish({ orderId: 'o3' }),
    ]);

    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('outage'));
    expect(bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([{ orderId: 'o3' }]);
  });

  it('failNextPublishes uses a default error', async () => {
    const bus = new FakeEventBus();
    bus.failNextPublishes();

    await expect(bus.publish(Subjects.ExpirationComplete, '{}')).rejects.toThrow('NATS publish failed (FakeEventBus)');
  });

  it('setConnected(false) makes isConnected false and publishes reject, until it is set back', async () => {
    const bus = new FakeEventBus();

    bus.setConnected(false);
    const whileDown = bus.publish(Subjects.ExpirationComplete, '{"orderId":"o1"}');

    expect(bus.isConnected()).toBe(false);
    await expect(whileDown).rejects.toThrow('FakeEventBus is disconnected');
    bus.setConnected(true);
    await bus.publish(Subjects.ExpirationComplete, '{"orderId":"o1"}');
    expect(bus.published).toHaveLength(1);
  });

  it('downForMs is 0 while connected and grows from the moment setConnected(false) is called', async () => {
    const bus = new FakeEventBus();
    const before = bus.downForMs();

    bus.setConnected(false);
    await waitFor(() => bus.downForMs() >= 20, 'downForMs to grow');
    bus.setConnected(true);

    expect(before).toBe(0);
    expect(bus.downForMs()).toBe(0);
  });

  it('loseConnection calls each onLost callback once, even one registered afterwards, and stays down', async () => {
    const bus = new FakeEventBus();
    const early: Error[] = [];
    const late: Error[] = [];
    bus.onLost((err) => early.push(err));
    const err = new Error('gone');

    bus.loseConnection(err);
    bus.loseConnection(new Error('again'));
    bus.onLost((e) => late.push(e));
    bus.setConnected(true);
    await waitFor(() => late.length === 1, 'the late callback');

    expect(early).toEqual([err]);
    expect(late).toEqual([err]);
    expect(bus.isConnected()).toBe(false);
  });

  it('deadLetters lists what listeners dead-lettered', async () => {
    const bus = new FakeEventBus();
    const listener = new ExpirationListener(bus, 'orders-service');

    await bus.deliver(listener, '{bad', { sequence: 4 });

    expect(bus.deadLetters).toEqual([
      expect.objectContaining({ subject: Subjects.ExpirationComplete, sequence: 4, payload: '{bad' }),
    ]);
  });

  it('emit delivers to one member of each queue group subscribed to the subject', async () => {
    const bus = new FakeEventBus();
    const ordersA = new ExpirationListener(bus, 'orders-service');
    const ordersB = new ExpirationListener(bus, 'orders-service');
    const audit = new ExpirationListener(bus, 'audit-service');
    await Promise.all([ordersA.listen(), ordersB.listen(), audit.listen()]);

    const messages = await bus.emit(Subjects.ExpirationComplete, { orderId: 'o1' });

    expect(messages).toHaveLength(2);
    expect(messages.every((m) => m.acked)).toBe(true);
    expect([...ordersA.seen, ...ordersB.seen]).toEqual(['o1']);
    expect(audit.seen).toEqual(['o1']);
  });

  it('emit reaches nobody on another subject, and returns no messages', async () => {
    const bus = new FakeEventBus();
    const listener = new ExpirationListener(bus, 'orders-service');
    await listener.listen();

    const messages = await bus.emit(Subjects.OrderCreated, { id: 'o1' });

    expect(messages).toEqual([]);
    expect(listener.seen).toEqual([]);
  });

  it('records the subscription specs, and forgets them on close', async () => {
    const bus = new FakeEventBus();
    const listener = new ExpirationListener(bus, 'orders-service');
    await listener.listen();

    expect(bus.subscriptionSpecs).toEqual([
      {
        subject: Subjects.ExpirationComplete,
        queueGroupName: 'orders-service',
        ackWait: 5000,
        maxInFlight: 1,
        maxDeliveries: 10,
      },
    ]);
    await bus.close();
    expect(bus.subscriptionSpecs).toEqual([]);
    expect(bus.isConnected()).toBe(false);
  });

  it('deliver numbers messages and passes the delivery count on', async () => {
    const bus = new FakeEventBus();
    const listener = new ExpirationListener(bus, 'orders-service');

    const first = await bus.deliver(listener, { orderId: 'o1' });
    const second = await bus.deliver(listener, { orderId: 'o2' }, { deliveryCount: 3 });

    expect(first.getSequence()).toBe(1);
    expect(second.getSequence()).toBe(2);
    expect(second.getDeliveryCount()).toBe(3);
    expect(second.isRedelivered()).toBe(true);
    expect(first.getSubject()).toBe(Subjects.ExpirationComplete);
  });

  it('deliverAll delivers many messages at once with the next sequences, and returns them once all are handled', async () => {
    const bus = new FakeEventBus();
    const listener = new ExpirationListener(bus, 'orders-service');
    await bus.deliver(listener, { orderId: 'o0' });

    const messages = await bus.deliverAll(listener, [{ orderId: 'o1' }, { orderId: 'o2' }, '{bad'], (i) => ({
      deliveryCount: i + 1,
    }));

    expect(messages.map((m) => [m.getSequence(), m.getDeliveryCount(), m.acked])).toEqual([
      [2, 1, true],
      [3, 2, true],
      [4, 3, true],
    ]);
    expect(listener.seen).toEqual(['o0', 'o1', 'o2']);
    expect(bus.deadLetters).toHaveLength(1);
  });

  it('records the headers of a publish, and no headers field for a publish without', async () => {
    const bus = new FakeEventBus();

    await bus.publish(Subjects.ExpirationComplete, '{"orderId":"o1"}', {
      headers: { 'Ticketing-Correlation-Id': 'r1' },
    });
    await bus.publish(Subjects.ExpirationComplete, '{"orderId":"o2"}');

    expect(bus.published[0].headers).toEqual({ 'Ticketing-Correlation-Id': 'r1' });
    expect(bus.published[1]).not.toHaveProperty('headers');
  });
});

describe('FakeMessage', () => {
  it('sends objects as JSON and strings or Buffers as they are', () => {
    expect(new FakeMessage('s', { a: 1 }).getData()).toBe('{"a":1}');
    expect(new FakeMessage('s', '{bad').getData()).toBe('{bad');
    expect(new FakeMessage('s', Buffer.from([1, 2])).getRawData()).toEqual(Buffer.from([1, 2]));
  });

  it('answers the headers it was given, or set, ignoring the case of their names', () => {
    const msg = new FakeMessage('s', {}, { headers: { 'Ticketing-Correlation-Id': 'r1' } });

    msg.setHeader('X-Other', 'v');

    expect(msg.getHeader('ticketing-correlation-id')).toBe('r1');
    expect(msg.getHeader('x-other')).toBe('v');
    expect(msg.getHeader('missing')).toBeUndefined();
  });

  it('tracks ack and nak through spies', () => {
    const msg = new FakeMessage('s', {});

    msg.nak(500);

    expect(msg.nakked).toBe(true);
    expect(msg.acked).toBe(false);
    expect(msg.nak).toHaveBeenCalledWith(500);
    msg.ack();
    expect(msg.acked).toBe(true);
  });

  it('has the timestamps and checksum of node-nats-streaming messages', () => {
    const msg = new FakeMessage('s', 'abc');

    expect(msg.getTimestampRaw()).toBe(msg.getTimestamp().getTime() * 1e6);
    expect(msg.getCrc32()).toBe(0x352441c2); // CRC-32 of "abc"
    expect(msg.isRedelivered()).toBe(false);
  });
});

describe('createSpy', () => {
  it('is a jest mock under jest', () => {
    const spy = createSpy();

    spy(1, 'a');

    expect(jest.isMockFunction(spy)).toBe(true);
    expect(spy.mock.calls).toEqual([[1, 'a']]);
  });
});
