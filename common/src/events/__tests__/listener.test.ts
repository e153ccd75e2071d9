import { FakeEventBus, FakeMessage } from '../../testing';
import type { EventMessage } from '../../bus/event-bus';
import { DEAD_LETTER_SUBJECT, type DeadLetter } from '../../dead-letter/dead-letter';
import { Listener, type ListenerOptions } from '../listener';
import { Subjects } from '../subjects';
import type { OrderCreatedEvent } from '../order-created-event';
import { captureLogs } from '../../testing/capture-logs';
import { orderCreatedData } from '../../__tests__/helpers/order-created-data';

type Handler = (data: OrderCreatedEvent['data'], msg: EventMessage) => void | Promise<void>;

class OrderCreatedTestListener extends Listener<OrderCreatedEvent> {
  subject: Subjects.OrderCreated = Subjects.OrderCreated;
  queueGroupName = 'listener-test';
  protected override maxPayloadBytes = 1024;
  readonly received: OrderCreatedEvent['data'][] = [];
  readonly invalid: string[] = [];
  readonly dead: DeadLetter[] = [];

  constructor(
    bus: FakeEventBus,
    logger: ReturnType<typeof captureLogs>['logger'],
    private readonly handle: Handler = (_data, msg) => msg.ack(),
    options: ListenerOptions = {},
  ) {
    super(bus, { logger, ...options });
  }

  async onMessage(data: OrderCreatedEvent['data'], msg: EventMessage): Promise<void> {
    this.received.push(data);
    await this.handle(data, msg);
  }

  protected override onInvalidMessage(reason: string): void {
    this.invalid.push(reason);
  }

  protected override onDeadLetter(letter: DeadLetter): void {
    this.dead.push(letter);
  }

  /** Exposes the protected policy for the test. */
  delayFor(deliveries: number): number {
    return this.retryDelay(deliveries);
  }
}

const order = orderCreatedData('o1', 't1');

function setup(handle?: Handler, options: ListenerOptions = {}) {
  const bus = new FakeEventBus();
  const { logger, lines } = captureLogs('listener-test');
  const listener = new OrderCreatedTestListener(bus, logger, handle, options);
  return { bus, lines, listener };
}

const failing: Handler = () => {
  throw new Error('database is down');
};

describe('Listener', () => {
  describe('with a valid payload', () => {
    it('hands the typed data to onMessage, which acks it', async () => {
      const { bus, listener } = setup();

      const msg = await bus.deliver(listener, order);

      expect(listener.received).toEqual([order]);
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(msg.nak).not.toHaveBeenCalled();
    });

    it('passes the delivered message as the second argument: it reads and acks like it', async () => {
      const seen: EventMessage[] = [];
      const { bus, listener } = setup((_data, msg) => {
        seen.push(msg);
        msg.ack();
      });

      const msg = await bus.deliver(listener, order, { sequence: 42, headers: { 'x-test': 'h' } });

      expect(seen).toHaveLength(1);
      expect(seen[0].getSequence()).toBe(42);
      expect(seen[0].getData()).toBe(msg.getData());
      expect(seen[0].getHeader('x-test')).toBe('h');
      expect(seen[0]).toBeInstanceOf(FakeMessage);
      expect(msg.ack).toHaveBeenCalledTimes(1);
    });
  });

  describe.each([
    ['a payload that is not JSON', '{bad', /not JSON/],
    ['a payload with a missing field', { ...order, userId: undefined }, /^userId: /],
    ['an expiresAt that is not an ISO date', { ...order, expiresAt: 'next tuesday' }, /^expiresAt: /],
    ['a status that does not exist', { ...order, status: 'lost' }, /^status: /],
    ['a payload over maxPayloadBytes', { ...order, title: 'x'.repeat(2000) }, /2\d{3} bytes, over the limit of 1024/],
  ])('with %s', (_case, payload, reason) => {
    it('dead-letters and acks it without calling onMessage, and logs a warning with subject, sequence and reason', async () => {
      const { bus, lines, listener } = setup();

      const msg = await bus.deliver(listener, payload, { sequence: 7 });

      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(msg.nak).not.toHaveBeenCalled();
      expect(listener.received).toEqual([]);
      const warnings = lines.filter((l) => l.level === 'warn');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatchObject({
        subject: Subjects.OrderCreated,
        sequence: 7,
        reason: expect.stringMatching(reason),
      });
      expect(listener.invalid).toEqual([warnings[0].reason]);
      expect(bus.deadLetters).toEqual([
        expect.objectContaining({ subject: Subjects.OrderCreated, sequence: 7, reason: warnings[0].reason }),
      ]);
      expect(listener.dead).toEqual(bus.deadLetters);
    });
  });

  it('keeps the raw payload of an invalid message in its dead letter, so it can be replayed after a fix', async () => {
    const { bus, listener } = setup();

    await bus.deliver(listener, '{"id":"o1",', { sequence: 3 });

    expect(bus.deadLetters[0]).toMatchObject({
      payload: '{"id":"o1",',
      payloadEncoding: 'utf8',
      payloadBytes: 11,
      truncated: false,
    });
  });

  it('rejects an oversized payload before parsing it', async () => {
    const { bus, lines, listener } = setup();
    const parse = jest.spyOn(listener, 'parseMessage');

    await bus.deliver(listener, Buffer.alloc(5000, '{'));

    expect(parse).not.toHaveBeenCalled();
    expect(lines.find((l) => l.level === 'warn')?.reason).toMatch(/5000 bytes/);
  });

  describe('when onMessage throws', () => {
    it('does not ack the message, naks it so it comes back, and logs the error', async () => {
      const { bus, lines, listener } = setup(() => {
        throw new Error('database is down');
      });

      const msg = await bus.deliver(listener, order, { sequence: 3 });

      expect(msg.ack).not.toHaveBeenCalled();
      expect(msg.nak).toHaveBeenCalledTimes(1);
      const error = lines.find((l) => l.level === 'error');
      expect(error).toMatchObject({ subject: Subjects.OrderCreated, sequence: 3, deliveries: 1 });
      expect((error?.err as { message: string }).message).toBe('database is down');
    });

    it('asks for a longer delay with each delivery, up to 30 s', async () => {
      const { bus, listener } = setup(async () => {
        throw new Error('still down');
      });

      const delays: unknown[] = [];
      for (const deliveryCount of [1, 2, 3, 4, 9]) {
        const msg = await bus.deliver(listener, order, { deliveryCount });
        delays.push(msg.nak.mock.calls[0][0]);
      }

      expect(delays).toEqual([500, 1000, 2000, 4000, 30_000]);
      expect(listener.delayFor(100)).toBe(30_000);
    });

    it('keeps handling the next message', async () => {
      let calls = 0;
      const { bus, listener } = setup((_data, msg) => {
        calls += 1;
        if (calls === 1) throw new Error('first one fails');
        msg.ack();
      });

      const failed = await bus.deliver(listener, order);
      const next = await bus.deliver(listener, { ...order, id: 'o2' });

      expect(failed.acked).toBe(false);
      expect(next.acked).toBe(true);
      expect(listener.received.map((d) => d.id)).toEqual(['o1', 'o2']);
    });
  });

  describe('on the last allowed delivery', () => {
    it('when onMessage throws, publishes a dead letter with every field, then acks', async () => {
      const { bus, listener } = setup(failing, { maxDeliveries: 3, service: 'expiration' });

      const msg = await bus.deliver(listener, order, { sequence: 12, deliveryCount: 3 });

      expect(msg.nak).not.toHaveBeenCalled();
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(bus.published).toEqual([
        {
          subject: DEAD_LETTER_SUBJECT,
          msgId: 'dead-letter:listener-test:order:created:12',
          data: {
            subject: Subjects.OrderCreated,
            queueGroup: 'listener-test',
            service: 'expiration',
            sequence: 12,
            deliveries: 3,
            reason: 'handler failed: database is down',
            payload: JSON.stringify(order),
            payloadEncoding: 'utf8',
            payloadBytes: Buffer.byteLength(JSON.stringify(order)),
            truncated: false,
            failedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
          },
        },
      ]);
      expect(listener.dead).toEqual([bus.published[0].data]);
    });

    it('logs the dead letter at error level with subject, sequence, deliveries and reason', async () => {
      const { bus, lines, listener } = setup(failing, { maxDeliveries: 2 });

      await bus.deliver(listener, order, { sequence: 5, deliveryCount: 2 });

      expect(lines.filter((l) => l.level === 'error')).toEqual([
        expect.objectContaining({
          msg: 'event dead-lettered',
          subject: Subjects.OrderCreated,
          sequence: 5,
          deliveries: 2,
          reason: 'handler failed: database is down',
        }),
      ]);
    });

    it('writes the queue group as the service when no service is given', async () => {
      const { bus, listener } = setup(failing, { maxDeliveries: 1 });

      await bus.deliver(listener, order);

      expect(bus.deadLetters[0].service).toBe('listener-test');
    });

    it('when onMessage naks, dead-letters it instead of bringing it back', async () => {
      const { bus, listener } = setup((_data, msg) => msg.nak(1000), { maxDeliveries: 4 });

      const msg = await bus.deliver(listener, order, { deliveryCount: 4 });

      expect(msg.nak).not.toHaveBeenCalled();
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(bus.deadLetters).toEqual([
        expect.objectContaining({ deliveries: 4, reason: "the handler nak'ed it on delivery 4, the last allowed" }),
      ]);
    });

    it('hands onMessage a message that still reads and acks like the delivered one', async () => {
      const seen: EventMessage[] = [];
      const { bus, listener } = setup(
        (_data, msg) => {
          seen.push(msg);
          msg.ack();
        },
        { maxDeliveries: 1 },
      );

      const msg = await bus.deliver(listener, order, { sequence: 8 });

      expect(seen[0].getSequence()).toBe(8);
      expect(seen[0].getData()).toBe(JSON.stringify(order));
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(bus.deadLetters).toEqual([]);
    });

    it('when onMessage succeeds, publishes no dead letter', async () => {
      const { bus, listener } = setup(undefined, { maxDeliveries: 2 });

      const msg = await bus.deliver(listener, order, { deliveryCount: 2 });

      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(bus.published).toEqual([]);
    });

    it('when the dead letter cannot be published, naks with the capped delay and does not ack', async () => {
      const { bus, lines, listener } = setup(failing, { maxDeliveries: 10 });
      bus.failNextPublishes(1);

      const msg = await bus.deliver(listener, order, { sequence: 9, deliveryCount: 10 });

      expect(msg.ack).not.toHaveBeenCalled();
      expect(msg.nak.mock.calls).toEqual([[30_000]]);
      expect(listener.dead).toEqual([]);
      expect(lines.filter((l) => l.level === 'error')).toEqual([
        expect.objectContaining({
          msg: 'publishing the dead letter failed; the message will be redelivered',
          sequence: 9,
          deliveries: 10,
          reason: 'handler failed: database is down',
        }),
      ]);
    });
  });

  describe('after the last allowed delivery', () => {
    it('dead-letters it again without calling onMessage, with the reason of the failed try', async () => {
      const { bus, listener } = setup(failing, { maxDeliveries: 2 });
      bus.failNextPublishes(1);
      await bus.deliver(listener, order, { sequence: 4, deliveryCount: 2 });

      const msg = await bus.deliver(listener, order, { sequence: 4, deliveryCount: 3 });

      expect(listener.received).toHaveLength(1);
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(bus.deadLetters).toEqual([
        expect.objectContaining({ sequence: 4, deliveries: 3, reason: 'handler failed: database is down' }),
      ]);
    });

    it('dead-letters a message that outlived its ack wait on the last delivery, without calling onMessage', async () => {
      const { bus, listener } = setup(() => undefined, { maxDeliveries: 2 });

      const msg = await bus.deliver(listener, order, { sequence: 6, deliveryCount: 3 });

      expect(listener.received).toEqual([]);
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(bus.deadLetters).toEqual([
        expect.objectContaining({ sequence: 6, deliveries: 3, reason: 'delivered 3 times, more than the 2 allowed' }),
      ]);
    });

    it('gives the reason of the last failed delivery when it is known', async () => {
      const { bus, listener } = setup(failing, { maxDeliveries: 3 });
      await bus.deliver(listener, order, { sequence: 2, deliveryCount: 2 });

      await bus.deliver(listener, order, { sequence: 2, deliveryCount: 4 });

      expect(bus.deadLetters[0].reason).toBe('handler failed: database is down');
    });
  });

  it('redelivers a failing message up to maxDeliveries times in all, then dead-letters it once', async () => {
    const { bus, listener } = setup(failing, { maxDeliveries: 4 });

    const messages = [];
    for (let deliveryCount = 1; deliveryCount <= 4; deliveryCount++) {
      messages.push(await bus.deliver(listener, order, { sequence: 1, deliveryCount }));
    }

    expect(listener.received).toHaveLength(4);
    expect(messages.map((m) => [m.nakked, m.acked])).toEqual([
      [true, false],
      [true, false],
      [true, false],
      [false, true],
    ]);
    expect(bus.deadLetters).toHaveLength(1);
  });

  it('an onDeadLetter that throws is logged, and the message is still acked', async () => {
    const { bus, lines, listener } = setup(failing, { maxDeliveries: 1 });
    jest.spyOn(listener as unknown as { onDeadLetter: () => void }, 'onDeadLetter').mockImplementation(() => {
      throw new Error('metric registry broken');
    });

    const msg = await bus.deliver(listener, order);

    expect(msg.ack).toHaveBeenCalledTimes(1);
    expect(lines.find((l) => l.msg === 'onDeadLetter failed')).toBeDefined();
  });

  it.each([0, 1.5, -2])('refuses maxDeliveries %p', (maxDeliveries) => {
    expect(() => setup(undefined, { maxDeliveries })).toThrow(RangeError);
  });

  it('subscribes once, with its subject, queue group, ack wait and max in flight', async () => {
    const { bus, listener } = setup();

    await listener.listen();
    await listener.listen();

    expect(bus.subscriptionSpecs).toEqual([
      {
        subject: Subjects.OrderCreated,
        queueGroupName: 'listener-test',
        ackWait: 5000,
        maxInFlight: 1,
        maxDeliveries: 10,
      },
    ]);
  });

  it('receives what is emitted on the bus after listen(), and nothing after close()', async () => {
    const { bus, listener } = setup();
    await listener.listen();

    const [msg] = await bus.emit(Subjects.OrderCreated, order);
    await listener.close();
    const afterClose = await bus.emit(Subjects.OrderCreated, { ...order, id: 'o2' });

    expect(msg.acked).toBe(true);
    expect(listener.received).toEqual([order]);
    expect(afterClose).toEqual([]);
  });

  it('parseMessage decodes a string or a Buffer as JSON', () => {
    const { listener } = setup();

    expect(listener.parseMessage({ getData: () => '{"a":1}' })).toEqual({ a: 1 });
    expect(listener.parseMessage({ getData: () => Buffer.from('[2]') })).toEqual([2]);
    expect(() => listener.parseMessage({ getData: () => 'nope' })).toThrow(SyntaxError);
  });
});
