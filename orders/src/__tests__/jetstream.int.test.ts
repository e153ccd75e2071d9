import {
  JetStreamBus,
  OrderStatus,
  Subjects,
  createLogger,
  type ExpirationCompleteEvent,
  type OrderCancelledEvent,
  type OrderCreatedEvent,
  type TicketCreatedEvent,
  type TicketUpdatedEvent,
} from '@grider-ms-tickets/common';
import request from 'supertest';
import { loadOrdersConfig } from '../config';
import { startOrdersService, type OrdersService } from '../service';
import { newObjectId } from '../store';
import { AnyPublisher } from '../test/any-publisher';
import { EventRecorder } from '../test/event-recorder';
import { TEST_NATS_URL, deleteStream, uniqueStreamName } from '../test/jetstream';
import { sessionCookie } from '../test/session-cookie';
import { waitFor } from '@grider-ms-tickets/common/testing';

// The service in-process, on the real NATS JetStream, with the memory store.
// A second connection plays the other services.
describe('orders service over NATS JetStream', () => {
  const stream = uniqueStreamName('it');
  const jwtKey = 'integration-jwt-key';
  const logger = createLogger({ name: 'orders-it', level: 'silent' });
  let service: OrdersService;
  let others: JetStreamBus;
  let orderCreated: EventRecorder<OrderCreatedEvent>;
  let orderCancelled: EventRecorder<OrderCancelledEvent>;

  beforeAll(async () => {
    const config = loadOrdersConfig({
      ORDERS_STORE: 'memory',
      EVENT_BUS: 'jetstream',
      NATS_URL: TEST_NATS_URL,
      NATS_STREAM: stream,
      NATS_SUBJECT_PREFIX: `${stream}.`,
      JWT_KEY: jwtKey,
      LOG_LEVEL: 'silent',
    });
    service = await startOrdersService({ ...config, port: 0 }, { logger });
    others = await JetStreamBus.connect({ url: TEST_NATS_URL, stream, subjectPrefix: `${stream}.`, logger });
    orderCreated = new EventRecorder(others, Subjects.OrderCreated, logger);
    orderCancelled = new EventRecorder(others, Subjects.OrderCancelled, logger);
    await Promise.all([orderCreated.listen(), orderCancelled.listen()]);
  });

  afterAll(async () => {
    await service?.shutdown('tests done');
    if (others) {
      await deleteStream(others, stream);
      await others.close();
    }
  });

  const publishTicket = async (): Promise<TicketCreatedEvent['data']> => {
    const ticket = { id: newObjectId(), version: 0, title: 'concert', price: 20, userId: newObjectId() };
    await new AnyPublisher<TicketCreatedEvent>(others, Subjects.TicketCreated).publish(ticket);
    await waitFor(() => service.store.tickets.findById(ticket.id), 'the ticket replica');
    return ticket;
  };

  it('after ticket:created, POST /api/orders reserves the ticket and order:created is seen on the bus', async () => {
    const ticket = await publishTicket();
    const userId = newObjectId();

    const res = await request(service.server)
      .post('/api/orders')
      .set('Cookie', sessionCookie({ id: userId, email: 'a@b.c' }, jwtKey))
      .send({ ticketId: ticket.id })
      .expect(201);

    const seen = await waitFor(() => orderCreated.received.find((e) => e.id === res.body.id), 'order:created');
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
    const ticket = await publishTicket();
    const cookie = sessionCookie({ id: newObjectId(), email: 'a@b.c' }, jwtKey);
    const created = await request(service.server)
      .post('/api/orders')
      .set('Cookie', cookie)
      .send({ ticketId: ticket.id })
      .expect(201);

    await new AnyPublisher<ExpirationCompleteEvent>(others, Subjects.ExpirationComplete).publish({
      orderId: created.body.id,
    });

    const seen = await waitFor(() => orderCancelled.received.find((e) => e.id === created.body.id), 'order:cancelled');
    expect(seen).toEqual({ id: created.body.id, version: 1, ticket: { id: ticket.id } });
    const shown = await request(service.server).get(`/api/orders/${created.body.id}`).set('Cookie', cookie).expect(200);
    expect(shown.body.status).toBe(OrderStatus.Cancelled);
  });

  it('applies ticket:updated events that arrive out of order, once the missing one comes', async () => {
    const ticket = await publishTicket();
    const updated = new AnyPublisher<TicketUpdatedEvent>(others, Subjects.TicketUpdated);

    await updated.publish({ ...ticket, version: 2, price: 40 });
    await updated.publish({ ...ticket, version: 1, price: 30 });

    const replica = await waitFor(async () => {
      const t = await service.store.tickets.findById(ticket.id);
      return t?.version === 2 ? t : undefined;
    }, 'version 2 of the replica');
    expect(replica).toMatchObject({ price: 40, version: 2 });
  });
});
