import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { MemoryOrdersStore, newObjectId } from '../../../store';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { TicketCreatedListener } from '../ticket-created-listener';

function setup() {
  const store = new MemoryOrdersStore();
  const bus = new FakeEventBus();
  const listener = new TicketCreatedListener(bus, { store, logger: captureLogs().logger });
  const data = { id: newObjectId(), version: 0, title: 'concert', price: 20, userId: newObjectId() };
  return { store, bus, listener, data };
}

describe('TicketCreatedListener', () => {
  it('creates the ticket replica and acks', async () => {
    const { store, bus, listener, data } = setup();

    const msg = await bus.deliver(listener, data);

    expect(await store.tickets.findById(data.id)).toEqual({ id: data.id, title: 'concert', price: 20, version: 0 });
    expect(msg.ack).toHaveBeenCalled();
  });

  it('acks a redelivery of a ticket it has already', async () => {
    const { store, bus, listener, data } = setup();
    await bus.deliver(listener, data);

    const msg = await bus.deliver(listener, data, { deliveryCount: 2 });

    expect(msg.ack).toHaveBeenCalled();
    expect(await store.tickets.findById(data.id)).toMatchObject({ version: 0 });
  });

  it('acks and drops a ticket whose id is not an ObjectId, as it can never succeed', async () => {
    const { store, bus, listener, data } = setup();

    const msg = await bus.deliver(listener, { ...data, id: 'not-an-id' });

    expect(msg.ack).toHaveBeenCalled();
    expect(await store.tickets.findById('not-an-id')).toBeNull();
  });

  it('listens on ticket:created in the orders-service queue group', async () => {
    const { bus, listener } = setup();

    await listener.listen();

    expect(bus.subscriptionSpecs).toEqual([
      expect.objectContaining({ subject: 'ticket:created', queueGroupName: 'orders-service' }),
    ]);
  });
});
