import { OrderStatus } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { OrdersMetrics } from '../../../metrics';
import { MemoryOrdersStore, newObjectId } from '../../../store';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { PaymentCreatedListener } from '../payment-created-listener';

async function setup() {
  const store = new MemoryOrdersStore();
  const bus = new FakeEventBus();
  const { logger, lines } = captureLogs();
  const metrics = new OrdersMetrics();
  const listener = new PaymentCreatedListener(bus, { store, logger, metrics });
  const ticket = await store.tickets.create({ id: newObjectId(), title: 'concert', price: 20 });
  const order = await store.orders.create({ userId: newObjectId(), expiresAt: new Date(), ticket });
  const payment = { id: newObjectId(), orderId: order.id, stripeId: 'ch_123' };
  return { store, bus, metrics, listener, logs: lines, order, payment };
}

describe('PaymentCreatedListener', () => {
  it('marks the order complete and acks', async () => {
    const { store, bus, listener, order, payment } = await setup();

    const msg = await bus.deliver(listener, payment);

    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Complete, version: 1 });
    expect(msg.ack).toHaveBeenCalled();
    expect(bus.published).toEqual([]);
  });

  it('counts the order in orders_transitions_total as completed', async () => {
    const { bus, listener, metrics, payment } = await setup();

    await bus.deliver(listener, payment);

    expect((await metrics.transitions.get()).values).toContainEqual(
      expect.objectContaining({ labels: { transition: 'completed' }, value: 1 }),
    );
  });

  it('acks a redelivery for an order that is complete already', async () => {
    const { store, bus, listener, order, payment } = await setup();
    await bus.deliver(listener, payment);

    const msg = await bus.deliver(listener, payment, { deliveryCount: 2 });

    expect(msg.ack).toHaveBeenCalled();
    expect(await store.orders.findById(order.id)).toMatchObject({ version: 1 });
  });

  it('does not ack a payment for an unknown order, so it is retried', async () => {
    const { bus, listener, payment } = await setup();

    const msg = await bus.deliver(listener, { ...payment, orderId: newObjectId() });

    expect(msg.ack).not.toHaveBeenCalled();
  });

  it('leaves a cancelled order cancelled, logs an error for a refund, and acks', async () => {
    const { store, bus, listener, logs, order, payment } = await setup();
    await store.orders.save({ ...order, status: OrderStatus.Cancelled });

    const msg = await bus.deliver(listener, payment);

    expect(await store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Cancelled });
    expect(msg.ack).toHaveBeenCalled();
    expect(logs).toContainEqual(expect.objectContaining({ level: 'error', orderId: order.id, paymentId: payment.id }));
  });
});
