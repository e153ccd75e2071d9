import { randomBytes } from 'node:crypto';
import {
  JetStreamBus,
  Subjects,
  createLogger,
  type ExpirationCompleteEvent,
  type OrderCancelledEvent,
  type OrderCreatedEvent,
  type TicketCreatedEvent,
} from '@grider-ms-tickets/common';
import request from 'supertest';
import { loadOrdersConfig } from '../config';
import { startOrdersService, type OrdersService } from '../service';
import { newObjectId } from '../store';
import { AnyPublisher } from '../test/any-publisher';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { counterValue } from '../test/domain-test-kit';
import { EventRecorder } from '../test/event-recorder';
import { TEST_NATS_URL, deleteStream, uniqueStreamName } from '../test/jetstream';
import { sessionCookie } from '../test/session-cookie';
import { waitFor } from '@grider-ms-tickets/common/testing';

// The service in-process on the real NATS JetStream, its log lines captured:
// what an operator greps for, with the first request id of an order.
describe("an order's story, greppable by its first request id", () => {
  const stream = uniqueStreamName('story');
  const jwtKey = 'story-jwt-key';
  const quiet = createLogger({ name: 'story-others', level: 'silent' });
  const { logger, lines } = captureLogs();
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
    });
    service = await startOrdersService({ ...config, port: 0 }, { logger });
    others = await JetStreamBus.connect({ url: TEST_NATS_URL, stream, subjectPrefix: `${stream}.`, logger: quiet });
    orderCreated = new EventRecorder(others, Subjects.OrderCreated, quiet);
    orderCancelled = new EventRecorder(others, Subjects.OrderCancelled, quiet);
    await Promise.all([orderCreated.listen(), orderCancelled.listen()]);
  });

  afterAll(async () => {
    await service?.shutdown('tests done');
    if (others) {
      await Promise.all([orderCreated?.close(), orderCancelled?.close()]);
      await deleteStream(others, stream);
      await others.close();
    }
  });

  it('POST with x-request-id, order:created carries it, and the expiration that comes back with it logs the cancel with it', async () => {
    const requestId = `req-story-${randomBytes(4).toString('hex')}`;
    const ticket = { id: newObjectId(), version: 0, title: 'concert', price: 20, userId: newObjectId() };
    await new AnyPublisher<TicketCreatedEvent>(others, Subjects.TicketCreated).publish(ticket);
    await waitFor(() => service.store.tickets.findById(ticket.id), 'the ticket replica');

    const created = await request(service.server)
      .post('/api/orders')
      .set('Cookie', sessionCookie({ id: newObjectId(), email: 'a@b.c' }, jwtKey))
      .set('X-Request-Id', requestId)
      .send({ ticketId: ticket.id })
      .expect(201);
    const orderId = created.body.id as string;

    const seenCreated = await waitFor(() => orderCreated.received.find((e) => e.id === orderId), 'order:created');
    expect(orderCreated.correlationIds[orderCreated.received.indexOf(seenCreated)]).toBe(requestId);

    // As the expiration service sends it: with the header order:created carried.
    await new AnyPublisher<ExpirationCompleteEvent>(others, Subjects.ExpirationComplete).publish(
      { orderId },
      { correlationId: requestId },
    );

    const cancelLine = await waitFor(
      () => lines.find((line) => line.msg === 'order cancelled' && line.orderId === orderId),
      'the cancel log line',
    );
    expect(cancelLine).toMatchObject({ reason: 'expiration', correlationId: requestId });
    const seenCancelled = await waitFor(() => orderCancelled.received.find((e) => e.id === orderId), 'order:cancelled');
    expect(orderCancelled.correlationIds[orderCancelled.received.indexOf(seenCancelled)]).toBe(requestId);

    const story = lines.filter((line) => JSON.stringify(line).includes(requestId)).map((line) => line.msg);
    expect(story).toEqual(['order created', 'request completed', 'order cancelled']);
  });

  it('counts each delivery in orders_events_total by subject and outcome', async () => {
    const handled = { subject: Subjects.TicketCreated, outcome: 'handled' };
    const before = await counterValue(service.metrics.events, handled);
    const ticket = { id: newObjectId(), version: 0, title: 'opera', price: 30, userId: newObjectId() };

    await new AnyPublisher<TicketCreatedEvent>(others, Subjects.TicketCreated).publish(ticket);

    await waitFor(async () => (await counterValue(service.metrics.events, handled)) === before + 1, 'the count');
    const exposed = (await request(service.server).get('/metrics').expect(200)).text;
    expect(exposed).toContain(`orders_events_total{subject="ticket:created",outcome="handled"} ${before + 1}`);
    expect(exposed).toContain('orders_events_total{subject="payment:created",outcome="dead_lettered"} 0');
  });
});
