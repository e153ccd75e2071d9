import { OrderStatus } from '@grider-ms-tickets/common';
import { VersionConflictError, newObjectId } from '../../store';
import { counterValue, domainTestKit } from '../../test/domain-test-kit';
import { completeOrder } from '../complete-order';

const payment = { id: newObjectId(), stripeId: 'ch_1' };

describe('completeOrder', () => {
  it('marks an unpaid order complete and counts it', async () => {
    const kit = domainTestKit();
    const order = await kit.anOrder();

    const outcome = await completeOrder(kit, order, payment);

    expect(outcome).toMatchObject({ kind: 'completed', order: { status: OrderStatus.Complete, version: 1 } });
    expect(await counterValue(kit.metrics.transitions, { transition: 'completed' })).toBe(1);
    expect(kit.bus.published).toEqual([]);
  });

  it('leaves a complete order as it is', async () => {
    const kit = domainTestKit();
    const order = await kit.store.orders.save({ ...(await kit.anOrder()), status: OrderStatus.Complete });

    expect(await completeOrder(kit, order, payment)).toEqual({ kind: 'already-complete' });
    expect((await kit.store.orders.findById(order.id))?.version).toBe(1);
  });

  it('leaves a cancelled order cancelled and logs an error for a refund', async () => {
    const kit = domainTestKit();
    const order = await kit.store.orders.save({ ...(await kit.anOrder()), status: OrderStatus.Cancelled });

    const outcome = await completeOrder(kit, order, payment);

    expect(outcome).toEqual({ kind: 'cancelled' });
    expect(kit.logs).toContainEqual(
      expect.objectContaining({ level: 'error', orderId: order.id, paymentId: payment.id, stripeId: 'ch_1' }),
    );
    expect(await counterValue(kit.metrics.transitions, { transition: 'completed' })).toBe(0);
  });

  it('throws a VersionConflictError when the order changed since it was loaded', async () => {
    const kit = domainTestKit();
    const loaded = await kit.anOrder();
    await kit.store.orders.save({ ...loaded, status: OrderStatus.Cancelled });

    await expect(completeOrder(kit, loaded, payment)).rejects.toBeInstanceOf(VersionConflictError);
  });
});
