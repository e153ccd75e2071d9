import { FakeEventBus } from '../../testing';
import type { EventMessage } from '../../bus/event-bus';
import { Listener } from '../listener';
import { Subjects } from '../subjects';
import { OrderStatus } from '../types/order-status';
import type { OrderCreatedEvent } from '../order-created-event';
import { captureLogs } from '../../__tests__/helpers/log-capture';

type Handler = (data: OrderCreatedEvent['data'], msg: EventMessage) => void | Promise<void>;

class OrderCreatedTestListener extends Listener<OrderCreatedEvent> {
  subject: Subjects.OrderCreated = Subjects.OrderCreated;
  queueGroupName = 'listener-test';
  protected override maxPayloadBytes = 1024;
  readonly received: OrderCreatedEvent['data'][] = [];
  readonly invalid: string[] = [];

  constructor(
    bus: FakeEventBus,
    logger: ReturnType<typeof captureLogs>['logger'],
    private readonly handle: Handler = (_data, msg) => msg.ack(),
  ) {
    super(bus, { logger });
  }

  async onMessage(data: OrderCreatedEvent['data'], msg: EventMessage): Promise<void> {
    this.received.push(data);
    await this.handle(data, msg);
  }

  protected override onInvalidMessage(reason: string): void {
    this.invalid.push(reason);
  }

  /** Exposes the protected policy for the test. */
  delayFor(deliveries: number): number {
    return this.retryDelay(deliveries);
  }
}

const order: OrderCreatedEvent['data'] = {
  id: 'o1',
  version: 0,
  status: OrderStatus.Created,
  userId: 'u1',
  expiresAt: '2030-01-01T10:00:00.000Z',
  ticket: { id: 't1', price: 20 },
};

function setup(handle?: Handler) {
  const bus = new FakeEventBus();
  const { logger, lines } = captureLogs('listener-test');
  const listener = new OrderCreatedTestListener(bus, logger, handle);
  return { bus, lines, listener };
}

describe('Listener', () => {
  describe('with a valid payload', () => {
    it('hands the typed data to onMessage, which acks it', async () => {
      const { bus, listener } = setup();

      const msg = await bus.deliver(listener, order);

      expect(listener.received).toEqual([order]);
      expect(msg.ack).toHaveBeenCalledTimes(1);
      expect(msg.nak).not.toHaveBeenCalled();
    });

    it('passes the message itself as the second argument', async () => {
      const seen: EventMessage[] = [];
      const { bus, listener } = setup((_data, msg) => void seen.push(msg));

      const msg = await bus.deliver(listener, order, { sequence: 42 });

      expect(seen).toEqual([msg]);
      expect(seen[0].getSequence()).toBe(42);
    });
  });

  describe.each([
    ['a payload that is not JSON', '{bad', /not JSON/],
    ['a payload with a missing field', { ...order, userId: undefined }, /^userId: /],
    ['an expiresAt that is not an ISO date', { ...order, expiresAt: 'next tuesday' }, /^expiresAt: /],
    ['a status that does not exist', { ...order, status: 'lost' }, /^status: /],
    ['a payload over maxPayloadBytes', { ...order, title: 'x'.repeat(2000) }, /2\d{3} bytes, over the limit of 1024/],
  ])('with %s', (_case, payload, reason) => {
    it('acks it without calling onMessage, and logs a warning with subject, sequence and reason', async () => {
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
      for (const deliveryCount of [1, 2, 3, 4, 10]) {
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

  it('subscribes once, with its subject, queue group, ack wait and max in flight', async () => {
    const { bus, listener } = setup();

    await listener.listen();
    await listener.listen();

    expect(bus.subscriptionSpecs).toEqual([
      { subject: Subjects.OrderCreated, queueGroupName: 'listener-test', ackWait: 5000, maxInFlight: 1 },
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
