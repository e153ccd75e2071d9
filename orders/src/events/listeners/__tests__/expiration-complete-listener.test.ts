import { OrderStatus, Subjects, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { OrdersMetrics } from '../../../metrics';
import { MemoryOrdersStore, newObjectId } from '../../../store';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { ExpirationCompleteListener } from '../expiration-complete-listener';

const MAX_DELIVERIES = 5;

async function setup() {
  const store = new MemoryOrdersStore();
  const bus = new FakeEventBus();
  const { logger, lines } = captureLogs();
  const metrics = new OrdersMetrics();
  const listener = new ExpirationCompleteListener(bus, { store, logger, metrics, maxDeliveries: MAX_DELIVERIES });
  const ticket = await store.tickets.create({ id: newObjectId(), title: 'concert', price: 20 });
  const order = await store.orders.create({ userId: newObjectId(), expiresAt: new Date(), ticket });
  return { store, bus, metrics, listener, logs: lines, ticket, order };
}

describe('ExpirationCompleteListener', () => {
  it('cancels the order', async () => {
    const { store, bus, listener, order } = await setup();

    await bus.deliver(listener, { orderId: order.id });

    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
  });

  it('publishes order:cancelled with the new version and the ticket id', async () => {
    const { bus, listener, order, ticket } = await setup();

    await bus.deliver(listener, { orderId: order.id });

    expect(bus.publishedOn<OrderCancelledEvent>(Subjects.OrderCancelled)).toEqual([
      { id: order.id, version: 1, ticket: { id: ticket.id } },
    ]);
  });

  it('acks the message', async () => {
    const { bus, listener, order } = await setup();

    const msg = await bus.deliver(listener, { orderId: order.id });

    expect(msg.ack).toHaveBeenCalled();
  });

  it('cancels an order that awaits payment', async () => {
    const { store, bus, listener, order } = await setup();
    await store.orders.save({ ...order, status: OrderStatus.AwaitingPayment });

    const msg = await bus.deliver(listener, { orderId: order.id });

    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Cancelled });
    expect(msg.acked).toBe(true);
  });

  it('never cancels a complete order: acks and publishes nothing', async () => {
    const { store, bus, listener, order } = await setup();
    await store.orders.save({ ...order, status: OrderStatus.Complete });

    const msg = await bus.deliver(listener, { orderId: order.id });

    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Complete, version: 1 });
    expect(bus.published).toEqual([]);
    expect(msg.ack).toHaveBeenCalled();
  });

  it('for an order cancelled already, publishes order:cancelled again and acks', async () => {
    const { store, bus, listener, order, ticket } = await setup();
    await store.orders.save({ ...order, status: OrderStatus.Cancelled });

    const msg = await bus.deliver(listener, { orderId: order.id }, { deliveryCount: 2 });

    expect(bus.publishedOn(Subjects.OrderCancelled)).toEqual([{ id: order.id, version: 1, ticket: { id: ticket.id } }]);
    expect(await store.orders.findById(order.id)).toMatchObject({ version: 1 });
    expect(msg.ack).toHaveBeenCalled();
  });

  it('when the publish fails after the save, does not ack, and the redelivery publishes it', async () => {
    const { store, bus, listener, order, ticket } = await setup();
    bus.failNextPublishes(1);

    const first = await bus.deliver(listener, { orderId: order.id });
    const second = await bus.deliver(listener, { orderId: order.id }, { deliveryCount: 2 });

    expect(first.acked).toBe(false);
    expect(first.nakked).toBe(true);
    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Cancelled, version: 1 });
    expect(bus.publishedOn(Subjects.OrderCancelled)).toEqual([{ id: order.id, version: 1, ticket: { id: ticket.id } }]);
    expect(second.acked).toBe(true);
  });

  it('counts the cancel in orders_transitions_total as cancelled_by_expiration', async () => {
    const { bus, listener, metrics, order } = await setup();

    await bus.deliver(listener, { orderId: order.id });

    expect((await metrics.transitions.get()).values).toContainEqual(
      expect.objectContaining({ labels: { transition: 'cancelled_by_expiration' }, value: 1 }),
    );
  });

  it('when the publish fails, the order owes order:cancelled, and the failure is logged at warn and counted', async () => {
    const { store, bus, listener, metrics, logs, order } = await setup();
    bus.failNextPublishes(1);

    await bus.deliver(listener, { orderId: order.id });

    expect(await store.orders.findById(order.id)).toMatchObject({
      pendingEvents: [{ subject: Subjects.OrderCancelled, version: 1, since: expect.any(Date) }],
    });
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', orderId: order.id, subject: Subjects.OrderCancelled }),
    );
    expect((await metrics.publishFailures.get()).values).toContainEqual(
      expect.objectContaining({ labels: { subject: Subjects.OrderCancelled }, value: 1 }),
    );
  });

  it('after the last allowed delivery whose publish fails, acks and leaves the owed event to the sweeper', async () => {
    const { store, bus, listener, logs, order } = await setup();
    bus.failNextPublishes(1);

    const msg = await bus.deliver(listener, { orderId: order.id }, { deliveryCount: MAX_DELIVERIES });

    expect(msg.acked).toBe(true);
    expect((await store.orders.findById(order.id))?.pendingEvents).toEqual([
      expect.objectContaining({ subject: Subjects.OrderCancelled, version: 1 }),
    ]);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 'warn', orderId: order.id, deliveries: MAX_DELIVERIES }),
    );
  });

  it('does not ack an event for an unknown order, so it is retried', async () => {
    const { bus, listener } = await setup();

    const msg = await bus.deliver(listener, { orderId: newObjectId() }, { deliveryCount: MAX_DELIVERIES - 1 });

    expect(msg.ack).not.toHaveBeenCalled();
    expect(msg.nakked).toBe(true);
    expect(bus.published).toEqual([]);
  });

  it('after the last allowed delivery of an unknown order, dead-letters it and acks', async () => {
    const { bus, listener } = await setup();
    const orderId = newObjectId();

    const msg = await bus.deliver(listener, { orderId }, { deliveryCount: MAX_DELIVERIES });

    expect(msg.ack).toHaveBeenCalled();
    expect(bus.deadLetters).toEqual([
      expect.objectContaining({
        subject: Subjects.ExpirationComplete,
        deliveries: MAX_DELIVERIES,
        reason: expect.stringContaining(`order ${orderId} is unknown here`),
      }),
    ]);
  });

  it('does not ack when a payment completes the order between its load and its save', async () => {
    const { store, bus, listener, order } = await setup();
    const findById = store.orders.findById;
    store.orders.findById = async (id) => {
      const loaded = await findById(id);
      // The payment lands while the expiration is being handled.
      await store.orders.save({ ...loaded!, status: OrderStatus.Complete });
      store.orders.findById = findById;
      return loaded;
    };

    const first = await bus.deliver(listener, { orderId: order.id });
    const second = await bus.deliver(listener, { orderId: order.id }, { deliveryCount: 2 });

    expect(first.acked).toBe(false);
    expect(second.acked).toBe(true);
    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Complete });
    expect(bus.published).toEqual([]);
  });
});
