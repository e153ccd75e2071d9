import { OrderStatus, Subjects, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import { VersionConflictError } from '../../store';
import { counterValue, domainTestKit } from '../../test/domain-test-kit';
import { cancelOrder } from '../cancel-order';

describe('cancelOrder', () => {
  it('saves the order cancelled and publishes order:cancelled at the new version', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder();

    const outcome = await cancelOrder(kit, order, { reason: 'user' });

    expect(outcome).toMatchObject({ kind: 'cancelled', published: true, order: { version: 1 } });
    expect(kit.bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([
      { id: order.id, version: 1, ticket: { id: order.ticket.id } },
    ]);
    expect(await kit.store.orders.findById(order.id)).toMatchObject({
      status: OrderStatus.Cancelled,
      version: 1,
      pendingEvents: [],
    });
  });

  it('never cancels a complete order: writes and publishes nothing', async () => {
    const kit = domainTestKit();
    const order = await kit.store.orders.save({ ...(await kit.anOrder()), status: OrderStatus.Complete });

    const outcome = await cancelOrder(kit, order, { reason: 'sweep' });

    expect(outcome).toEqual({ kind: 'complete' });
    expect(await kit.store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Complete, version: 1 });
    expect(kit.bus.published).toEqual([]);
  });

  it.each([
    ['expiration', 'cancelled_by_expiration'],
    ['user', 'cancelled_by_user'],
    ['sweep', 'cancelled_by_sweep'],
  ] as const)('counts a cancel by %s as %s', async (reason, transition) => {
    const kit = domainTestKit();

    await cancelOrder(kit, await kit.anOrder(), { reason });

    expect(await counterValue(kit.metrics.transitions, { transition })).toBe(1);
  });

  it('when the publish fails, keeps the cancel, leaves the event owed, logs a warning and counts it', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder();
    kit.bus.failNextPublishes(1);

    const outcome = await cancelOrder(kit, order, { reason: 'user' });

    expect(outcome).toMatchObject({ kind: 'cancelled', published: false });
    expect(await kit.store.orders.findById(order.id)).toMatchObject({
      status: OrderStatus.Cancelled,
      pendingEvents: [{ subject: Subjects.OrderCancelled, version: 1 }],
    });
    expect(kit.logs).toContainEqual(expect.objectContaining({ level: 'warn', orderId: order.id, version: 1 }));
    expect(await counterValue(kit.metrics.publishFailures, { subject: Subjects.OrderCancelled })).toBe(1);
  });

  it('with publish: false, saves the cancel and its owed event without publishing', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder();

    const outcome = await cancelOrder(kit, order, { reason: 'sweep', publish: false });

    expect(outcome).toMatchObject({ kind: 'cancelled', published: false });
    expect(kit.bus.published).toEqual([]);
    expect((await kit.store.orders.findById(order.id))?.pendingEvents).toEqual([
      { subject: Subjects.OrderCancelled, version: 1, since: expect.any(Date) },
    ]);
  });

  it('for an order cancelled already, saves nothing and publishes what it still owes', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder();
    kit.bus.failNextPublishes(1);
    await cancelOrder(kit, order, { reason: 'user' });
    const cancelled = (await kit.store.orders.findById(order.id))!;

    const outcome = await cancelOrder(kit, cancelled, { reason: 'user' });

    expect(outcome).toMatchObject({ kind: 'already-cancelled', published: true });
    expect(kit.bus.publishedOn(Subjects.OrderCancelled)).toEqual([
      { id: order.id, version: 1, ticket: { id: order.ticket.id } },
    ]);
    expect(await kit.store.orders.findById(order.id)).toMatchObject({ version: 1, pendingEvents: [] });
  });

  it('for an order cancelled already that owes nothing, publishes nothing unless asked to republish', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder();
    await cancelOrder(kit, order, { reason: 'user' });
    const cancelled = (await kit.store.orders.findById(order.id))!;

    await cancelOrder(kit, cancelled, { reason: 'user' });
    const plain = kit.bus.publishedOn(Subjects.OrderCancelled).length;
    await cancelOrder(kit, cancelled, { reason: 'expiration', republishWhenCancelled: true });

    expect(plain).toBe(1);
    expect(kit.bus.publishedOn(Subjects.OrderCancelled)).toEqual([
      { id: order.id, version: 1, ticket: { id: order.ticket.id } },
      { id: order.id, version: 1, ticket: { id: order.ticket.id } },
    ]);
  });

  it('publishes an order:created still owed before the order:cancelled, in version order', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder({ owes: Subjects.OrderCreated });

    await cancelOrder(kit, order, { reason: 'user' });

    expect(kit.bus.published.map((e) => [e.subject, (e.data as { version: number }).version])).toEqual([
      [Subjects.OrderCreated, 0],
      [Subjects.OrderCancelled, 1],
    ]);
  });

  it('throws a VersionConflictError when the order changed since it was loaded, and publishes nothing', async () => {
    const kit = domainTestKit();
    const loaded = await kit.anOrder();
    await kit.store.orders.save({ ...loaded, status: OrderStatus.Complete });

    await expect(cancelOrder(kit, loaded, { reason: 'expiration' })).rejects.toBeInstanceOf(VersionConflictError);
    expect(kit.bus.published).toEqual([]);
  });
});
