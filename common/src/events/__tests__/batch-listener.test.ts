import { FakeEventBus, FakeMessage, waitFor } from '../../testing';
import { captureLogs } from '../../testing/capture-logs';
import type { DeadLetter } from '../../dead-letter/dead-letter';
import { BatchListener, type BatchItem } from '../batch-listener';
import { CORRELATION_ID_HEADER } from '../correlation';
import type { ListenerOptions } from '../listener';
import type { OrderCreatedEvent } from '../order-created-event';
import { Subjects } from '../subjects';
import { orderCreatedData } from '../../__tests__/helpers/order-created-data';

type Item = BatchItem<OrderCreatedEvent>;
type BatchHandler = (items: Item[]) => void | Promise<void>;

interface Settings {
  maxBatch?: number;
  maxWaitMs?: number;
}

class OrderCreatedBatchListener extends BatchListener<OrderCreatedEvent> {
  subject: Subjects.OrderCreated = Subjects.OrderCreated;
  queueGroupName = 'batch-listener-test';
  /** The order ids of each batch, in the order the batches started. */
  readonly batches: string[][] = [];
  readonly invalid: string[] = [];
  readonly dead: DeadLetter[] = [];

  constructor(
    bus: FakeEventBus,
    logger: ReturnType<typeof captureLogs>['logger'],
    private readonly handle: BatchHandler,
    settings: Settings,
    options: ListenerOptions,
  ) {
    super(bus, { logger, ...options });
    if (settings.maxBatch !== undefined) this.maxBatch = settings.maxBatch;
    if (settings.maxWaitMs !== undefined) this.maxWaitMs = settings.maxWaitMs;
  }

  async onBatch(items: Item[]): Promise<void> {
    this.batches.push(items.map((item) => item.data.id));
    await this.handle(items);
  }

  protected override onInvalidMessage(reason: string): void {
    this.invalid.push(reason);
  }

  protected override onDeadLetter(letter: DeadLetter): void {
    this.dead.push(letter);
  }
}

const order = (id: string) => orderCreatedData(id);

const orders = (count: number, from = 1) => Array.from({ length: count }, (_, i) => order(`o${from + i}`));

function setup(handle: BatchHandler = () => undefined, settings: Settings = {}, options: ListenerOptions = {}) {
  const bus = new FakeEventBus();
  const { logger, lines } = captureLogs('batch-listener-test');
  const listener = new OrderCreatedBatchListener(bus, logger, handle, settings, options);
  return { bus, lines, listener };
}

const failing: BatchHandler = () => {
  throw new Error('redis is down');
};

/** A promise and the function that resolves it. */
function gate() {
  let open = () => {};
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const settledAs = (messages: FakeMessage[]) => messages.map((m) => [m.acked, m.nakked]);

describe('BatchListener', () => {
  describe('forming batches', () => {
    it('hands messages delivered together to onBatch as batches of at most maxBatch, in arrival order', async () => {
      const { bus, listener } = setup(undefined, { maxBatch: 500 });
      const payloads = orders(1200);

      const messages = await bus.deliverAll(listener, payloads);

      expect(listener.batches.map((b) => b.length)).toEqual([500, 500, 200]);
      expect(listener.batches.flat()).toEqual(payloads.map((p) => p.id));
      expect(messages.every((m) => m.ack.mock.calls.length === 1 && !m.nakked)).toBe(true);
    });

    it('hands onBatch the validated data and each message', async () => {
      const seen: Item[] = [];
      const { bus, listener } = setup((items) => void seen.push(...items));

      const messages = await bus.deliverAll(listener, orders(2), (i) => ({ sequence: 40 + i }));

      expect(seen.map((item) => item.data)).toEqual(orders(2));
      expect(seen.map((item) => item.msg.getSequence())).toEqual([40, 41]);
      expect(seen.map((item) => item.msg.getData())).toEqual(messages.map((msg) => msg.getData()));
    });

    describe('with fake timers', () => {
      beforeEach(() => jest.useFakeTimers());
      afterEach(() => jest.useRealTimers());

      it('flushes a partial batch maxWaitMs after its first message arrived, and starts a new batch after it', async () => {
        const { bus, listener } = setup(undefined, { maxBatch: 500, maxWaitMs: 50 });

        const first = bus.deliverAll(listener, orders(3));
        await jest.advanceTimersByTimeAsync(49);
        const beforeTheWait = listener.batches.length;
        await jest.advanceTimersByTimeAsync(1);
        const firstMessages = await first;
        const second = bus.deliverAll(listener, orders(2, 4));
        await jest.advanceTimersByTimeAsync(50);
        await second;

        expect(beforeTheWait).toBe(0);
        expect(listener.batches).toEqual([
          ['o1', 'o2', 'o3'],
          ['o4', 'o5'],
        ]);
        expect(firstMessages.every((m) => m.acked)).toBe(true);
      });

      it('flushes a full batch at once, without waiting for maxWaitMs', async () => {
        const { bus, listener } = setup(undefined, { maxBatch: 4, maxWaitMs: 60_000 });

        const messages = await bus.deliverAll(listener, orders(4));

        expect(listener.batches).toEqual([['o1', 'o2', 'o3', 'o4']]);
        expect(messages.every((m) => m.acked)).toBe(true);
      });
    });

    it('delivered one at a time through the bus, each message is a batch of its own', async () => {
      const { bus, listener } = setup();
      await listener.listen();

      const [first] = await bus.emit(Subjects.OrderCreated, order('o1'));
      const [second] = await bus.emit(Subjects.OrderCreated, order('o2'));

      expect(listener.batches).toEqual([['o1'], ['o2']]);
      expect([first.acked, second.acked]).toEqual([true, true]);
    });

    it('hands both copies of an event delivered twice to onBatch: duplicates are the handler’s to collapse', async () => {
      const stored: string[] = [];
      const { bus, listener } = setup((items) => {
        const byOrder = new Map<string, Item[]>();
        for (const item of items) byOrder.set(item.data.id, [...(byOrder.get(item.data.id) ?? []), item]);
        stored.push(...byOrder.keys());
      });

      const messages = await bus.deliverAll(listener, [order('o1'), order('o2'), order('o1')]);

      expect(listener.batches).toEqual([['o1', 'o2', 'o1']]);
      expect(stored).toEqual(['o1', 'o2']);
      expect(messages.every((m) => m.acked)).toBe(true);
    });
  });

  describe('acking', () => {
    it('acks no message and settles no delivery before onBatch has resolved, then acks every one', async () => {
      const { open, opened } = gate();
      const { listener } = setup(() => opened);
      const messages = orders(3).map((data, i) => new FakeMessage(Subjects.OrderCreated, data, { sequence: i + 1 }));
      const settled: boolean[] = [false, false, false];

      const deliveries = messages.map((msg, i) => listener.handleMessage(msg).then(() => (settled[i] = true)));
      await waitFor(() => listener.batches.length === 1, 'the batch to start');
      await new Promise((resolve) => setImmediate(resolve));
      const whileStoring = { acks: messages.filter((m) => m.acked).length, settled: [...settled] };
      open();
      await Promise.all(deliveries);

      expect(whileStoring).toEqual({ acks: 0, settled: [false, false, false] });
      expect(messages.map((m) => m.ack.mock.calls.length)).toEqual([1, 1, 1]);
      expect(messages.some((m) => m.nakked)).toBe(false);
    });
  });

  describe('with invalid messages mixed in', () => {
    it('dead-letters and acks each invalid one on its own; onBatch gets only the valid ones, which are acked', async () => {
      const { bus, lines, listener } = setup();

      const messages = await bus.deliverAll(
        listener,
        [order('o1'), '{bad', { ...order('o2'), userId: undefined }, order('o3')],
        (i) => ({ sequence: i + 1 }),
      );

      expect(listener.batches).toEqual([['o1', 'o3']]);
      expect(settledAs(messages)).toEqual([
        [true, false],
        [true, false],
        [true, false],
        [true, false],
      ]);
      expect(bus.deadLetters.map((l) => l.sequence)).toEqual([2, 3]);
      expect(listener.invalid).toHaveLength(2);
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.sequence)).toEqual([2, 3]);
    });

    it('acks an invalid message while its valid neighbours are still being stored', async () => {
      const { open, opened } = gate();
      const { bus, listener } = setup(() => opened);
      const [valid, invalid] = [order('o1'), '{bad'].map(
        (payload, i) => new FakeMessage(Subjects.OrderCreated, payload, { sequence: i + 1 }),
      );

      const deliveries = [valid, invalid].map((msg) => listener.handleMessage(msg));
      await waitFor(() => invalid.acked && listener.batches.length === 1, 'the invalid message acked');
      const validAckedBefore = valid.acked;
      open();
      await Promise.all(deliveries);

      expect(validAckedBefore).toBe(false);
      expect(valid.acked).toBe(true);
      expect(bus.deadLetters.map((l) => l.sequence)).toEqual([2]);
    });

    it('dead-letters a message past its last allowed delivery without handing it to onBatch', async () => {
      const { bus, listener } = setup(undefined, {}, { maxDeliveries: 3 });

      const messages = await bus.deliverAll(listener, [order('o1'), order('o2')], (i) => ({
        deliveryCount: i === 0 ? 4 : 1,
      }));

      expect(listener.batches).toEqual([['o2']]);
      expect(messages.every((m) => m.acked)).toBe(true);
      expect(bus.deadLetters).toEqual([
        expect.objectContaining({ deliveries: 4, reason: 'delivered 4 times, more than the 3 allowed' }),
      ]);
    });
  });

  describe('when onBatch fails some items', () => {
    it('naks each failed item with the capped delay and logs it; acks the others', async () => {
      const { bus, lines, listener } = setup((items) => {
        for (const item of items) if (item.data.id === 'o2') item.fail(new Error('job o2 not stored'));
      });

      const messages = await bus.deliverAll(listener, orders(3), (i) => ({ sequence: i + 1, deliveryCount: 2 }));

      expect(settledAs(messages)).toEqual([
        [true, false],
        [false, true],
        [true, false],
      ]);
      expect(messages[1].nak.mock.calls).toEqual([[1000]]);
      expect(lines.filter((l) => l.level === 'error')).toEqual([
        expect.objectContaining({
          msg: 'handler failed; the message will be redelivered',
          subject: Subjects.OrderCreated,
          sequence: 2,
          deliveries: 2,
          retryInMs: 1000,
          err: expect.objectContaining({ message: 'job o2 not stored' }),
        }),
      ]);
      expect(bus.deadLetters).toEqual([]);
    });

    it('dead-letters a failed item on its last allowed delivery, with its error as the reason, and acks it', async () => {
      const { bus, listener } = setup(
        (items) => items[0].fail(new Error('job o1 not stored')),
        {},
        { maxDeliveries: 3 },
      );

      const [msg] = await bus.deliverAll(listener, [order('o1')], { sequence: 9, deliveryCount: 3 });

      expect(settledAs([msg])).toEqual([[true, false]]);
      expect(bus.deadLetters).toEqual([
        expect.objectContaining({ sequence: 9, deliveries: 3, reason: 'handler failed: job o1 not stored' }),
      ]);
      expect(listener.dead).toEqual(bus.deadLetters);
    });

    it('counts the first fail() of an item, and ignores a fail() after onBatch resolved, with a warning', async () => {
      const kept: Item[] = [];
      const { bus, lines, listener } = setup((items) => {
        items[0].fail(new Error('first reason'));
        items[0].fail(new Error('second reason'));
        kept.push(items[1]);
      });
      const messages = await bus.deliverAll(listener, orders(2), (i) => ({ sequence: i + 1 }));

      kept[0].fail(new Error('too late'));

      expect(settledAs(messages)).toEqual([
        [false, true],
        [true, false],
      ]);
      expect(lines.find((l) => l.level === 'error')?.err).toMatchObject({ message: 'first reason' });
      expect(lines.filter((l) => l.level === 'warn')).toEqual([
        expect.objectContaining({
          sequence: 2,
          msg: 'fail() called after onBatch resolved; the message was settled already',
        }),
      ]);
    });
  });

  describe('when onBatch throws', () => {
    it('naks every item and acks none, and logs the failure once with the batch size and sequences', async () => {
      const { bus, lines, listener } = setup(failing);

      const messages = await bus.deliverAll(listener, orders(3), (i) => ({ sequence: i + 1 }));

      expect(settledAs(messages)).toEqual([
        [false, true],
        [false, true],
        [false, true],
      ]);
      expect(messages.map((m) => m.nak.mock.calls)).toEqual([[[500]], [[500]], [[500]]]);
      expect(lines.filter((l) => l.level === 'error')).toEqual([
        expect.objectContaining({
          msg: 'batch handler failed; every message of the batch will be redelivered',
          subject: Subjects.OrderCreated,
          size: 3,
          sequences: [1, 2, 3],
          err: expect.objectContaining({ message: 'redis is down' }),
        }),
      ]);
    });

    it('when it throws after failing some items, those keep their own error as the reason', async () => {
      const { bus, listener } = setup(
        async (items) => {
          items[0].fail(new Error('o1 is special'));
          throw new Error('redis is down');
        },
        {},
        { maxDeliveries: 1 },
      );

      const messages = await bus.deliverAll(listener, orders(2), (i) => ({ sequence: i + 1 }));

      expect(settledAs(messages)).toEqual([
        [true, false],
        [true, false],
      ]);
      expect(bus.deadLetters.map((l) => [l.sequence, l.reason])).toEqual([
        [1, 'handler failed: o1 is special'],
        [2, 'handler failed: redis is down'],
      ]);
    });

    it('redelivers each message up to maxDeliveries times in all, then dead-letters it once', async () => {
      const { bus, listener } = setup(failing, {}, { maxDeliveries: 3 });

      const rounds: FakeMessage[][] = [];
      for (let deliveryCount = 1; deliveryCount <= 3; deliveryCount++) {
        rounds.push(await bus.deliverAll(listener, orders(2), (i) => ({ sequence: i + 1, deliveryCount })));
      }

      expect(rounds.map(settledAs)).toEqual([
        [
          [false, true],
          [false, true],
        ],
        [
          [false, true],
          [false, true],
        ],
        [
          [true, false],
          [true, false],
        ],
      ]);
      expect(rounds[1].map((m) => m.nak.mock.calls[0][0])).toEqual([1000, 1000]);
      expect(bus.deadLetters.map((l) => [l.sequence, l.deliveries, l.reason])).toEqual([
        [1, 3, 'handler failed: redis is down'],
        [2, 3, 'handler failed: redis is down'],
      ]);
    });

    it('keeps handling the next batch', async () => {
      let calls = 0;
      const { bus, listener } = setup(() => {
        calls += 1;
        if (calls === 1) throw new Error('first batch fails');
      });

      const failed = await bus.deliverAll(listener, orders(2));
      const next = await bus.deliverAll(listener, orders(2, 3));

      expect(failed.some((m) => m.acked)).toBe(false);
      expect(next.every((m) => m.acked)).toBe(true);
    });
  });

  it('names the correlation id of a failed item in its log line', async () => {
    const { bus, lines, listener } = setup((items) => items[0].fail(new Error('not stored')));

    await bus.deliver(listener, order('o1'), { headers: { [CORRELATION_ID_HEADER]: 'req-42' } });

    expect(lines.find((l) => l.level === 'error')).toMatchObject({ correlationId: 'req-42' });
  });

  it('subscribes with its subject, queue group, ack wait, 1000 in flight and the delivery limit', async () => {
    const { bus, listener } = setup();

    await listener.listen();

    expect(bus.subscriptionSpecs).toEqual([
      {
        subject: Subjects.OrderCreated,
        queueGroupName: 'batch-listener-test',
        ackWait: 5000,
        maxInFlight: 1000,
        maxDeliveries: 10,
      },
    ]);
  });

  it.each([
    [{ maxBatch: 0 }, /maxBatch/],
    [{ maxBatch: 2.5 }, /maxBatch/],
    [{ maxWaitMs: -1 }, /maxWaitMs/],
    [{ maxWaitMs: Number.NaN }, /maxWaitMs/],
  ])('refuses to listen with %p', async (settings, message) => {
    const { bus, listener } = setup(undefined, settings);

    await expect(listener.listen()).rejects.toThrow(message);
    expect(bus.subscriptionSpecs).toEqual([]);
  });
});
