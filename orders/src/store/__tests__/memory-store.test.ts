import { MemoryOrdersStore } from '../memory/memory-store';
import { newObjectId } from '../object-id';
import { describeStoreContract } from './store.contract';

describe('memory store', () => {
  const store = new MemoryOrdersStore();

  describeStoreContract(() => store);

  it('hands out copies, so changing one changes nothing stored', async () => {
    const ticket = await store.tickets.create({ id: newObjectId(), title: 'concert', price: 20 });
    const order = await store.orders.create({ userId: 'u1', expiresAt: new Date(), ticket });

    order.status = 'cancelled' as typeof order.status;
    order.ticket.price = 1;

    expect(await store.orders.findById(order.id)).toMatchObject({ status: 'created', ticket: { price: 20 } });
  });
});
