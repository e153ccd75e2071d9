import { Subjects, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { ExpirationMetrics } from '../../../metrics';
import type { ExpirationQueue } from '../../../queues/expiration-queue';
import { expirationJobId } from '../../../queues/expiration-job-id';
import { destroyQueue, inMs, orderCancelled, orderCreated, testLogger, waitFor } from '../../../test/helpers';
import { processExpirations, testQueue } from '../../../test/queue-kit';
import { OrderCancelledListener } from '../order-cancelled-listener';
import { OrderCreatedListener } from '../order-created-listener';

describe('OrderCancelledListener', () => {
  let expirations: ExpirationQueue;
  let bus: FakeEventBus;
  let created: OrderCreatedListener;
  let cancelled: OrderCancelledListener;
  let metrics: ExpirationMetrics;

  beforeEach(() => {
    expirations = testQueue('test-cancelled');
    bus = new FakeEventBus();
    metrics = new ExpirationMetrics();
    const options = { expirations, metrics, logger: testLogger() };
    created = new OrderCreatedListener(bus, options);
    cancelled = new OrderCancelledListener(bus, options);
    processExpirations(expirations, { bus, metrics });
  });

  afterEach(async () => {
    await destroyQueue(expirations);
  });

  const expired = () => bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete).map((e) => e.orderId);

  it('listens to order:cancelled in the expiration-service queue group', async () => {
    await cancelled.listen();

    expect(bus.subscriptionSpecs).toEqual([
      expect.objectContaining({ subject: 'order:cancelled', queueGroupName: 'expiration-service' }),
    ]);
  });

  it('removes the pending job of a cancelled order, so no expiration:complete is published for it', async () => {
    const cancelledOrder = orderCreated(inMs(1_000));
    // Expires just after the cancelled one: once it is published, the cancelled one would have been too.
    const control = orderCreated(inMs(1_200));
    await bus.deliver(created, cancelledOrder);
    await bus.deliver(created, control);

    const msg = await bus.deliver(cancelled, orderCancelled(cancelledOrder.id));
    await waitFor(() => expired().includes(control.id), 'the control order to expire');

    expect(msg.acked).toBe(true);
    expect(await expirations.queue.getJob(expirationJobId(cancelledOrder.id))).toBeNull();
    expect(expired()).toEqual([control.id]);
  });

  it('when the cancel comes before the order:created, a later order:created fires nothing', async () => {
    const order = orderCreated(inMs(-1_000));
    const control = orderCreated(inMs(-1_000));

    const msg = await bus.deliver(cancelled, orderCancelled(order.id));
    await bus.deliver(created, order);
    await bus.deliver(created, control);
    await waitFor(() => expired().includes(control.id), 'the control order to expire');

    expect(msg.acked).toBe(true);
    expect(expired()).toEqual([control.id]);
  });

  it('when the order already expired, changes nothing and acks', async () => {
    const order = orderCreated(inMs(0));
    await bus.deliver(created, order);
    await waitFor(() => expired().includes(order.id), 'the expiration');

    const msg = await bus.deliver(cancelled, orderCancelled(order.id));

    expect(msg.acked).toBe(true);
    expect(expired()).toEqual([order.id]);
  });

  it('acks an event without an id, dead-letters it and counts it', async () => {
    const msg = await bus.deliver(cancelled, { version: 1, ticket: { id: 't' } });

    expect(msg.acked).toBe(true);
    expect(bus.deadLetters).toEqual([expect.objectContaining({ subject: 'order:cancelled' })]);
    expect((await metrics.deadLetters.get()).values).toEqual([
      expect.objectContaining({ labels: { subject: 'order:cancelled' }, value: 1 }),
    ]);
  });
});
