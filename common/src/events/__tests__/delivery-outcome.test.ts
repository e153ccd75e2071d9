import { FakeEventBus } from '../../testing';
import type { EventMessage } from '../../bus/event-bus';
import { captureLogs } from '../../testing/capture-logs';
import { BatchListener, type BatchItem } from '../batch-listener';
import { Listener } from '../listener';
import type { DeliveryReport, ListenerOptions } from '../listener-base';
import type { OrderCreatedEvent } from '../order-created-event';
import { Subjects } from '../subjects';
import { orderCreatedData } from '../../__tests__/helpers/order-created-data';

type Handler = (data: OrderCreatedEvent['data'], msg: EventMessage) => void | Promise<void>;
type BatchHandler = (items: BatchItem<OrderCreatedEvent>[]) => void | Promise<void>;

class OneAtATime extends Listener<OrderCreatedEvent> {
  subject: Subjects.OrderCreated = Subjects.OrderCreated;
  queueGroupName = 'outcome-test';

  constructor(
    bus: FakeEventBus,
    options: ListenerOptions,
    private readonly handle: Handler,
  ) {
    super(bus, options);
  }

  async onMessage(data: OrderCreatedEvent['data'], msg: EventMessage): Promise<void> {
    await this.handle(data, msg);
  }
}

class InBatches extends BatchListener<OrderCreatedEvent> {
  subject: Subjects.OrderCreated = Subjects.OrderCreated;
  queueGroupName = 'outcome-batch-test';

  constructor(
    bus: FakeEventBus,
    options: ListenerOptions,
    private readonly handle: BatchHandler,
  ) {
    super(bus, options);
  }

  async onBatch(items: BatchItem<OrderCreatedEvent>[]): Promise<void> {
    await this.handle(items);
  }
}

const order = (id = 'o1') => orderCreatedData(id);

/** A bus, a captured logger, and the outcomes reported so far. */
function kit(maxDeliveries = 3) {
  const bus = new FakeEventBus();
  const { logger, lines } = captureLogs('outcome-test');
  const reports: DeliveryReport[] = [];
  const options: ListenerOptions = { logger, maxDeliveries, onOutcome: (report) => reports.push(report) };
  return { bus, lines, reports, options, outcomes: () => reports.map((r) => r.outcome) };
}

const acking: Handler = (_data, msg) => msg.ack();
const throwing: Handler = () => {
  throw new Error('store is down');
};
const nakking: Handler = (_data, msg) => msg.nak(100);

describe('ListenerOptions.onOutcome', () => {
  describe('with a Listener', () => {
    it.each([
      ['the handler acks', acking, 1, 'handled'],
      ['the handler throws before the last delivery', throwing, 1, 'retried'],
      ['the handler naks before the last delivery', nakking, 2, 'retried'],
      ['the handler returns without acking (the ack wait brings it back)', () => undefined, 1, 'retried'],
      ['the handler throws on the last delivery', throwing, 3, 'dead_lettered'],
      ['the handler naks on the last delivery', nakking, 3, 'dead_lettered'],
      ['the message comes back past the last delivery', acking, 4, 'dead_lettered'],
    ] as const)('when %s, reports %s once', async (_case, handler, deliveryCount, expected) => {
      const { bus, outcomes, options } = kit();
      const listener = new OneAtATime(bus, options, handler);

      await bus.deliver(listener, order(), { deliveryCount });

      expect(outcomes()).toEqual([expected]);
    });

    it('reports an invalid payload as invalid once, not also as dead_lettered', async () => {
      const { bus, outcomes, options } = kit();
      const listener = new OneAtATime(bus, options, acking);

      const msg = await bus.deliver(listener, '{not json');

      expect(outcomes()).toEqual(['invalid']);
      expect(bus.deadLetters).toHaveLength(1);
      expect(msg.acked).toBe(true);
    });

    it('reports retried when the dead letter of an invalid payload cannot be published', async () => {
      const { bus, outcomes, options } = kit();
      const listener = new OneAtATime(bus, options, acking);
      bus.failNextPublishes(1);

      const msg = await bus.deliver(listener, { ...order(), userId: undefined });

      expect(outcomes()).toEqual(['retried']);
      expect(msg.nakked).toBe(true);
    });

    it('reports retried when the dead letter of a failing message cannot be published', async () => {
      const { bus, outcomes, options } = kit();
      const listener = new OneAtATime(bus, options, throwing);
      bus.failNextPublishes(1);

      await bus.deliver(listener, order(), { deliveryCount: 3 });

      expect(outcomes()).toEqual(['retried']);
    });

    it('counts the first settlement of a handler that acks and then naks', async () => {
      const { bus, outcomes, options } = kit();
      const listener = new OneAtATime(bus, options, (_data, msg) => {
        msg.ack();
        msg.nak();
      });

      await bus.deliver(listener, order());

      expect(outcomes()).toEqual(['handled']);
    });

    it('reports the listener subject and queue group, and the delivered message itself', async () => {
      const { bus, reports, options } = kit();
      const listener = new OneAtATime(bus, options, acking);

      const msg = await bus.deliver(listener, order(), { sequence: 7 });

      expect(reports).toEqual([
        { outcome: 'handled', subject: Subjects.OrderCreated, queueGroupName: 'outcome-test', msg },
      ]);
      expect(reports[0].msg).toBe(msg);
    });

    it('reports after the message is settled', async () => {
      const { bus, options } = kit();
      const ackedWhenReported: boolean[] = [];
      const listener = new OneAtATime(
        bus,
        { ...options, onOutcome: ({ msg }) => ackedWhenReported.push((msg as { acked?: boolean }).acked === true) },
        acking,
      );

      await bus.deliver(listener, order());

      expect(ackedWhenReported).toEqual([true]);
    });

    it('logs an onOutcome that throws, and the message is still acked', async () => {
      const { bus, lines, options } = kit();
      const listener = new OneAtATime(
        bus,
        {
          ...options,
          onOutcome: () => {
            throw new Error('metrics broke');
          },
        },
        acking,
      );

      const msg = await bus.deliver(listener, order(), { sequence: 5 });

      expect(msg.acked).toBe(true);
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', msg: 'onOutcome failed', outcome: 'handled', sequence: 5 }),
      );
    });

    it('works without onOutcome, as before', async () => {
      const bus = new FakeEventBus();
      const listener = new OneAtATime(bus, {}, acking);

      const msg = await bus.deliver(listener, order());

      expect(msg.acked).toBe(true);
    });
  });

  describe('with a BatchListener', () => {
    it('reports each message of a batch once: handled, retried for a failed item, invalid for a bad payload', async () => {
      const { bus, reports, options } = kit();
      const listener = new InBatches(bus, options, (items) => {
        for (const item of items) if (item.data.id === 'o2') item.fail(new Error('no slot'));
      });

      await bus.deliverAll(listener, [order('o1'), order('o2'), '{bad'], (i) => ({ sequence: i + 1 }));

      const bySequence = reports.map((r) => [r.msg.getSequence(), r.outcome]).sort();
      expect(bySequence).toEqual([
        [1, 'handled'],
        [2, 'retried'],
        [3, 'invalid'],
      ]);
    });

    it('reports dead_lettered for an item failed on its last delivery, and retried for every item of a batch that throws', async () => {
      const { bus, outcomes, options } = kit();
      const lastTry = new InBatches(bus, options, (items) => items.forEach((item) => item.fail(new Error('no'))));
      const thrown = new InBatches(bus, options, () => {
        throw new Error('redis is down');
      });

      await bus.deliver(lastTry, order('o1'), { deliveryCount: 3 });
      await bus.deliverAll(thrown, [order('o2'), order('o3')]);

      expect(outcomes()).toEqual(['dead_lettered', 'retried', 'retried']);
    });
  });
});
