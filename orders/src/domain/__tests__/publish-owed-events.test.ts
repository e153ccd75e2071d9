import { OrderStatus, Subjects } from '@grider-ms-tickets/common';
import { counterValue, domainTestKit } from '../../test/domain-test-kit';
import { publishOwedEvents } from '../publish-owed-events';

describe('publishOwedEvents', () => {
  it('publishes each owed event with the version it was saved at, and removes it once acknowledged', async () => {
    const kit = domainTestKit();
    const created = await kit.anOrder({ owes: Subjects.OrderCreated });
    const order = await kit.store.orders.save({ ...created, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);

    const result = await publishOwedEvents(kit, order);

    expect(result.ok).toBe(true);
    expect(result.published.map((e) => [e.subject, e.version])).toEqual([
      [Subjects.OrderCreated, 0],
      [Subjects.OrderCancelled, 1],
    ]);
    expect(kit.bus.published).toEqual([
      {
        subject: Subjects.OrderCreated,
        msgId: `order:created:${order.id}:0`,
        data: expect.objectContaining({ id: order.id, version: 0, status: OrderStatus.Created }),
      },
      {
        subject: Subjects.OrderCancelled,
        msgId: `order:cancelled:${order.id}:1`,
        data: { id: order.id, version: 1, ticket: { id: order.ticket.id } },
      },
    ]);
    expect(await kit.store.orders.findById(order.id)).toMatchObject({ version: 1, pendingEvents: [] });
  });

  it('stops at a failed publish, so that a later event never overtakes an earlier one', async () => {
    const kit = domainTestKit();
    const created = await kit.anOrder({ owes: Subjects.OrderCreated });
    const order = await kit.store.orders.save({ ...created, status: OrderStatus.Cancelled }, Subjects.OrderCancelled);
    kit.bus.failNextPublishes(1);

    const result = await publishOwedEvents(kit, order);

    expect(result).toEqual({ ok: false, published: [] });
    expect(kit.bus.published).toEqual([]);
    expect((await kit.store.orders.findById(order.id))?.pendingEvents).toHaveLength(2);
    expect(await counterValue(kit.metrics.publishFailures, { subject: Subjects.OrderCreated })).toBe(1);
  });

  it('when an acknowledged event cannot be removed, logs a warning and counts it published', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder({ owes: Subjects.OrderCreated });
    kit.store.orders.markPublished = async () => {
      throw new Error('store unreachable');
    };

    const result = await publishOwedEvents(kit, order);

    expect(result.ok).toBe(true);
    expect(kit.logs).toContainEqual(expect.objectContaining({ level: 'warn', orderId: order.id, version: 0 }));
  });

  it('does nothing for an order that owes nothing', async () => {
    const kit = domainTestKit();

    expect(await publishOwedEvents(kit, await kit.anOrder())).toEqual({ ok: true, published: [] });
    expect(kit.bus.published).toEqual([]);
  });
});
