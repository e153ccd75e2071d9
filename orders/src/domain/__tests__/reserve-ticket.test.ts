import { OrderStatus, Subjects, type OrderCreatedEvent } from '@grider-ms-tickets/common';
import { newObjectId } from '../../store';
import { counterValue, domainTestKit } from '../../test/domain-test-kit';
import { reserveTicket } from '../reserve-ticket';

describe('reserveTicket', () => {
  it('creates the order until the end of the window, publishes order:created, and owes nothing after', async () => {
    const kit = domainTestKit();
    const ticket = await kit.aTicket();
    const userId = newObjectId();
    const before = Date.now();

    const outcome = await reserveTicket(kit, { userId, ticketId: ticket.id, reservedForSeconds: 60 });

    if (outcome.kind !== 'reserved') throw new Error(`expected a reservation, got ${outcome.kind}`);
    expect(outcome.published).toBe(true);
    expect(outcome.order.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 60_000);
    expect(kit.bus.publishedOn<OrderCreatedEvent>(Subjects.OrderCreated)).toEqual([
      {
        id: outcome.order.id,
        version: 0,
        status: OrderStatus.Created,
        userId,
        expiresAt: outcome.order.expiresAt.toISOString(),
        ticket: { id: ticket.id, price: 20 },
      },
    ]);
    expect((await kit.store.orders.findById(outcome.order.id))?.pendingEvents).toEqual([]);
    expect(await counterValue(kit.metrics.transitions, { transition: 'created' })).toBe(1);
  });

  it('says so for an unknown ticket, and writes nothing', async () => {
    const kit = domainTestKit();

    const outcome = await reserveTicket(kit, {
      userId: newObjectId(),
      ticketId: newObjectId(),
      reservedForSeconds: 60,
    });

    expect(outcome).toEqual({ kind: 'unknown-ticket' });
    expect(kit.bus.published).toEqual([]);
  });

  it('says so for a ticket reserved already', async () => {
    const kit = domainTestKit();
    const ticket = await kit.aTicket();
    await reserveTicket(kit, { userId: newObjectId(), ticketId: ticket.id, reservedForSeconds: 60 });

    const outcome = await reserveTicket(kit, { userId: newObjectId(), ticketId: ticket.id, reservedForSeconds: 60 });

    expect(outcome).toEqual({ kind: 'ticket-reserved' });
    expect(await counterValue(kit.metrics.transitions, { transition: 'created' })).toBe(1);
  });

  it('when the publish fails, keeps the order, which owes its order:created', async () => {
    const kit = domainTestKit();
    const ticket = await kit.aTicket();
    kit.bus.failNextPublishes(1);

    const outcome = await reserveTicket(kit, { userId: newObjectId(), ticketId: ticket.id, reservedForSeconds: 60 });

    expect(outcome).toMatchObject({ kind: 'reserved', published: false });
    const stored = await kit.store.orders.findById((outcome as { order: { id: string } }).order.id);
    expect(stored).toMatchObject({
      status: OrderStatus.Created,
      pendingEvents: [{ subject: Subjects.OrderCreated, version: 0 }],
    });
    expect(await counterValue(kit.metrics.publishFailures, { subject: Subjects.OrderCreated })).toBe(1);
  });
});
