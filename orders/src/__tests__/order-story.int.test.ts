import { randomBytes } from 'node:crypto';
import { Subjects, createLogger, type ExpirationCompleteEvent } from '@grider-ms-tickets/common';
import request from 'supertest';
import { newObjectId } from '../store';
import { AnyPublisher } from '../test/any-publisher';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { counterValue } from '../test/domain-test-kit';
import { startOrdersOnJetStream, type OrdersOnJetStream } from '../test/orders-on-jetstream';
import { sessionCookie } from '../test/session-cookie';
import { waitFor } from '@grider-ms-tickets/common/testing';

// The service in-process on the real NATS JetStream, its log lines captured:
// what an operator greps for, with the first request id of an order.
describe("an order's story, greppable by its first request id", () => {
  const jwtKey = 'story-jwt-key';
  const { logger, lines } = captureLogs();
  let system: OrdersOnJetStream;

  beforeAll(async () => {
    system = await startOrdersOnJetStream({
      label: 'story',
      jwtKey,
      logger,
      othersLogger: createLogger({ name: 'story-others', level: 'silent' }),
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('POST with x-request-id, order:created carries it, and the expiration that comes back with it logs the cancel with it', async () => {
    const requestId = `req-story-${randomBytes(4).toString('hex')}`;
    const ticket = await system.publishTicket();

    const created = await request(system.service.server)
      .post('/api/orders')
      .set('Cookie', sessionCookie({ id: newObjectId(), email: 'a@b.c' }, jwtKey))
      .set('X-Request-Id', requestId)
      .send({ ticketId: ticket.id })
      .expect(201);
    const orderId = created.body.id as string;

    const seenCreated = await waitFor(
      () => system.orderCreated.received.find((e) => e.id === orderId),
      'order:created',
    );
    expect(system.orderCreated.correlationIds[system.orderCreated.received.indexOf(seenCreated)]).toBe(requestId);

    // As the expiration service sends it: with the header order:created carried.
    await new AnyPublisher<ExpirationCompleteEvent>(system.others, Subjects.ExpirationComplete).publish(
      { orderId },
      { correlationId: requestId },
    );

    const cancelLine = await waitFor(
      () => lines.find((line) => line.msg === 'order cancelled' && line.orderId === orderId),
      'the cancel log line',
    );
    expect(cancelLine).toMatchObject({ reason: 'expiration', correlationId: requestId });
    const seenCancelled = await waitFor(
      () => system.orderCancelled.received.find((e) => e.id === orderId),
      'order:cancelled',
    );
    expect(system.orderCancelled.correlationIds[system.orderCancelled.received.indexOf(seenCancelled)]).toBe(requestId);

    const story = lines.filter((line) => JSON.stringify(line).includes(requestId)).map((line) => line.msg);
    expect(story).toEqual(['order created', 'request completed', 'order cancelled']);
  });

  it('counts each delivery in orders_events_total by subject and outcome', async () => {
    const handled = { subject: Subjects.TicketCreated, outcome: 'handled' };
    const before = await counterValue(system.service.metrics.events, handled);

    await system.publishTicket({ title: 'opera', price: 30 });

    await waitFor(async () => (await counterValue(system.service.metrics.events, handled)) === before + 1, 'the count');
    const exposed = (await request(system.service.server).get('/metrics').expect(200)).text;
    expect(exposed).toContain(`orders_events_total{subject="ticket:created",outcome="handled"} ${before + 1}`);
    expect(exposed).toContain('orders_events_total{subject="payment:created",outcome="dead_lettered"} 0');
  });
});
