import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import { MemoryOrdersStore, newObjectId } from '../../../store';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { TicketUpdatedListener } from '../ticket-updated-listener';

async function setup() {
  const store = new MemoryOrdersStore();
  const bus = new FakeEventBus();
  const listener = new TicketUpdatedListener(bus, { store, logger: captureLogs().logger });
  const ticket = await store.tickets.create({ id: newObjectId(), title: 'concert', price: 20 });
  const update = (version: number, changes: { title?: string; price?: number } = {}) => ({
    id: ticket.id,
    version,
    title: changes.title ?? ticket.title,
    price: changes.price ?? ticket.price,
    userId: newObjectId(),
  });
  return { store, bus, listener, ticket, update };
}

describe('TicketUpdatedListener', () => {
  it('applies the next version and acks', async () => {
    const { store, bus, listener, ticket, update } = await setup();

    const msg = await bus.deliver(listener, update(1, { title: 'opera', price: 999 }));

    expect(await store.tickets.findById(ticket.id)).toEqual({ id: ticket.id, title: 'opera', price: 999, version: 1 });
    expect(msg.ack).toHaveBeenCalled();
  });

  it('applies an update that changes nothing but the version, such as a reservation', async () => {
    const { store, bus, listener, ticket, update } = await setup();

    const msg = await bus.deliver(listener, { ...update(1), orderId: newObjectId() });

    expect(await store.tickets.findById(ticket.id)).toMatchObject({ version: 1 });
    expect(msg.ack).toHaveBeenCalled();
  });

  it('does not ack an update that skipped a version, so it comes back later', async () => {
    const { store, bus, listener, ticket, update } = await setup();

    const msg = await bus.deliver(listener, update(2, { price: 50 }));

    expect(msg.ack).not.toHaveBeenCalled();
    expect(msg.nakked).toBe(true);
    expect(await store.tickets.findById(ticket.id)).toEqual(ticket);
  });

  it('applies the skipped-ahead update once the one before it has arrived', async () => {
    const { store, bus, listener, ticket, update } = await setup();
    const early = await bus.deliver(listener, update(2, { price: 50 }));

    await bus.deliver(listener, update(1, { price: 30 }));
    const redelivered = await bus.deliver(listener, update(2, { price: 50 }), { deliveryCount: 2 });

    expect(early.acked).toBe(false);
    expect(redelivered.acked).toBe(true);
    expect(await store.tickets.findById(ticket.id)).toMatchObject({ price: 50, version: 2 });
  });

  it('acks a redelivered update that was applied already, and changes nothing', async () => {
    const { store, bus, listener, ticket, update } = await setup();
    await bus.deliver(listener, update(1, { price: 30 }));
    await bus.deliver(listener, update(2, { price: 40 }));

    const msg = await bus.deliver(listener, update(1, { price: 30 }), { deliveryCount: 2 });

    expect(msg.ack).toHaveBeenCalled();
    expect(await store.tickets.findById(ticket.id)).toMatchObject({ price: 40, version: 2 });
  });

  it('does not ack an update for a ticket it has not seen created yet', async () => {
    const { bus, listener, update } = await setup();

    const msg = await bus.deliver(listener, { ...update(1), id: newObjectId() });

    expect(msg.ack).not.toHaveBeenCalled();
  });
});
