import {
  OrderStatus,
  Subjects,
  createLogger,
  type ExpirationCompleteEvent,
  type TicketUpdatedEvent,
} from '@grider-ms-tickets/common';
import request from 'supertest';
import { newObjectId } from '../store';
import { AnyPublisher } from '../test/any-publisher';
import { startOrdersOnJetStream, type OrdersOnJetStream } from '../test/orders-on-jetstream';
import { sessionCookie } from '../test/session-cookie';
import { waitFor } from '@grider-ms-tickets/common/testing';

// The service in-process, on the real NATS JetStream, with the memory store.
// A second connection plays the other services.
describe('orders service over NATS JetStream', () => {
  const jwtKey = 'integration-jwt-key';
  let system: OrdersOnJetStream;

  beforeAll(async () => {
    system = await startOrdersOnJetStream({
      label: 'it',
      jwtKey,
      logger: createLogger({ name: 'orders-it', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('after ticket:created, POST /api/orders reserves the ticket and order:created is seen on the bus', async () => {
    const ticket = await system.publishTicket();
    const userId = newObjectId();

    const res = await request(system.service.server)
      .post('/api/orders')
      .set('Cookie', sessionCookie({ id: userId, email: 'a@b.c' }, jwtKey))
      .send({ ticketId: ticket.id })
      .expect(201);

    const seen = await waitFor(() => system.orderCreated.received.find((e) => e.id === res.body.id), 'order:created');
    expect(seen).toEqual({
      id: res.body.id,
      version: 0,
      status: OrderStatus.Created,
      userId,
      expiresAt: res.body.expiresAt,
      ticket: { id: ticket.id, price: 20 },
    });
  });

  it('after expiration:complete, the order is cancelled and order:cancelled is seen on the bus', async () => {
    const ticket = await system.publishTicket();
    const cookie = sessionCookie({ id: newObjectId(), email: 'a@b.c' }, jwtKey);
    const created = await request(system.service.server)
      .post('/api/orders')
      .set('Cookie', cookie)
      .send({ ticketId: ticket.id })
      .expect(201);

    await new AnyPublisher<ExpirationCompleteEvent>(system.others, Subjects.ExpirationComplete).publish({
      orderId: created.body.id,
    });

    const seen = await waitFor(
      () => system.orderCancelled.received.find((e) => e.id === created.body.id),
      'order:cancelled',
    );
    expect(seen).toEqual({ id: created.body.id, version: 1, ticket: { id: ticket.id } });
    const shown = await request(system.service.server)
      .get(`/api/orders/${created.body.id}`)
      .set('Cookie', cookie)
      .expect(200);
    expect(shown.body.status).toBe(OrderStatus.Cancelled);
  });

  it('applies ticket:updated events that arrive out of order, once the missing one comes', async () => {
    const ticket = await system.publishTicket();
    const updated = new AnyPublisher<TicketUpdatedEvent>(system.others, Subjects.TicketUpdated);

    await updated.publish({ ...ticket, version: 2, price: 40 });
    await updated.publish({ ...ticket, version: 1, price: 30 });

    const replica = await waitFor(async () => {
      const t = await system.service.store.tickets.findById(ticket.id);
      return t?.version === 2 ? t : undefined;
    }, 'version 2 of the replica');
    expect(replica).toMatchObject({ price: 40, version: 2 });
  });
});
