/**
 * Code written against the published `@grider-ms-tickets/common@1.0.14` must
 * compile unchanged. This file imports every name of that version, and uses
 * each one where the course's services use it, so `npm run typecheck` fails
 * when a name disappears or changes shape. The assertions check that the old
 * names are the new ones at run time too.
 */
import { Message, Stan } from 'node-nats-streaming';
import {
  // The current names, which 1.0.14 had too.
  Subjects,
  OrderStatus,
  type TicketCreatedEvent,
  type TicketUpdatedEvent,
  type OrderCreatedEvent,
  type OrderCancelledEvent,
  type ExpirationCompleteEvent,
  type PaymentCreatedEvent,
  Listener,
  Publisher,
  CustomError,
  BadRequestError,
  NotFoundError,
  NotAuthorizedError,
  RequestValidationError,
  DatabaseConnectionError,
  currentUser,
  requireAuth,
  validateRequest,
  errorHandler,
  // The old spellings, typos included.
  ListenerAbstract,
  PublisherAbstract,
  SubjectsEnum,
  OrderStatusEnum,
  type TicketCreatedEventInterface,
  type TicketUpdatedEventInterface,
  type OrderCreatedEventInterface,
  type OrderCancelledEventInterface,
  type ExpirationCompleteEventInterface,
  type PaymentCreatedEventInteface,
  BadRequstError,
} from '@grider-ms-tickets/common';
import { FakeEventBus, FakeMessage } from '@grider-ms-tickets/common/testing';

/** Compiles only when A and B are the same type. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const typesMatch: [
  Equal<TicketCreatedEventInterface, TicketCreatedEvent>,
  Equal<TicketUpdatedEventInterface, TicketUpdatedEvent>,
  Equal<OrderCreatedEventInterface, OrderCreatedEvent>,
  Equal<OrderCancelledEventInterface, OrderCancelledEvent>,
  Equal<ExpirationCompleteEventInterface, ExpirationCompleteEvent>,
  Equal<PaymentCreatedEventInteface, PaymentCreatedEvent>,
  Equal<SubjectsEnum, Subjects>,
  Equal<SubjectsEnum.OrderCreated, Subjects.OrderCreated>,
  Equal<OrderStatusEnum, OrderStatus>,
  Equal<OrderStatusEnum.AwaitingPayment, OrderStatus.AwaitingPayment>,
  Equal<BadRequstError, BadRequestError>,
  Equal<ListenerAbstract<TicketCreatedEvent>, Listener<TicketCreatedEvent>>,
  Equal<PublisherAbstract<TicketCreatedEvent>, Publisher<TicketCreatedEvent>>,
] = [true, true, true, true, true, true, true, true, true, true, true, true, true];

// Written exactly as the course writes its listeners against 1.0.14.
class TicketCreatedListener extends ListenerAbstract<TicketCreatedEventInterface> {
  subject: SubjectsEnum.TicketCreated = SubjectsEnum.TicketCreated;
  queueGroupName = 'orders-service';
  received: TicketCreatedEventInterface['data'][] = [];

  async onMessage(data: TicketCreatedEventInterface['data'], msg: Message) {
    this.received.push(data);
    msg.ack();
  }
}

class OrderCreatedPublisher extends PublisherAbstract<OrderCreatedEventInterface> {
  subject: SubjectsEnum.OrderCreated = SubjectsEnum.OrderCreated;
}

class PaymentCreatedPublisher extends PublisherAbstract<PaymentCreatedEventInteface> {
  subject: SubjectsEnum.PaymentCreated = SubjectsEnum.PaymentCreated;
}

class ExpirationCompleteListener extends Listener<ExpirationCompleteEventInterface> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  queueGroupName = 'orders-service';
  onMessage(_data: ExpirationCompleteEventInterface['data'], msg: Message) {
    msg.ack();
  }
}

// The event types in the positions the services use them.
const ticketUpdated: TicketUpdatedEventInterface['data'] = { id: 't1', version: 1, title: 'T', price: 1, userId: 'u1' };
const orderCancelled: OrderCancelledEventInterface = {
  subject: SubjectsEnum.OrderCancelled,
  data: { id: 'o1', version: 1, ticket: { id: 't1' } },
};
const status: OrderStatusEnum.Created = OrderStatusEnum.Created;
const badRequest: BadRequstError = new BadRequstError('Ticket is already reserved');

/** The course's mock of `natsWrapper.client`: a bare object whose publish calls back at once. */
function courseStanMock(published: string[]): Stan {
  return {
    publish: (_subject: string, data: string, callback: () => void) => {
      published.push(data);
      callback();
    },
  } as unknown as Stan;
}

describe('the names of @grider-ms-tickets/common@1.0.14', () => {
  it('are the current names at run time', () => {
    expect(typesMatch.every(Boolean)).toBe(true);
    expect(ListenerAbstract).toBe(Listener);
    expect(PublisherAbstract).toBe(Publisher);
    expect(SubjectsEnum).toBe(Subjects);
    expect(OrderStatusEnum).toBe(OrderStatus);
    expect(BadRequstError).toBe(BadRequestError);
    expect(SubjectsEnum.ExpirationComplete).toBe('expiration:complete');
    expect(status).toBe('created');
    expect(orderCancelled.subject).toBe(Subjects.OrderCancelled);
    expect(ticketUpdated.orderId).toBeUndefined();
  });

  it('BadRequstError is a BadRequestError answered with 400', () => {
    expect(badRequest).toBeInstanceOf(BadRequestError);
    expect(badRequest).toBeInstanceOf(CustomError);
    expect(badRequest.statusCode).toBe(400);
    expect(badRequest.serializeErrors()).toEqual([{ message: 'Ticket is already reserved' }]);
  });

  it('the errors keep the status codes of 1.0.14', () => {
    const errors: CustomError[] = [
      new NotFoundError(),
      new NotAuthorizedError(),
      new RequestValidationError([]),
      new DatabaseConnectionError(),
    ];

    expect(errors.map((e) => e.statusCode)).toEqual([404, 401, 400, 503]);
    expect(errors.every((e) => e instanceof CustomError)).toBe(true);
  });

  it('the middlewares are express handlers, errorHandler with the four arguments express looks for', () => {
    expect([currentUser, requireAuth, validateRequest].map((m) => m.length)).toEqual([3, 3, 3]);
    expect(errorHandler).toHaveLength(4);
  });

  it('a course-style listener built from a Stan client handles and acks a message', async () => {
    const listener = new TicketCreatedListener(courseStanMock([]));
    const data = { id: 't1', version: 0, title: 'Concert', price: 20, userId: 'u1' };
    const msg = new FakeMessage(SubjectsEnum.TicketCreated, data);

    await listener.onMessage(data, msg);
    const delivered = await new FakeEventBus().deliver(listener, data);

    expect(listener.received).toEqual([data, data]);
    expect(msg.ack).toHaveBeenCalledTimes(1);
    expect(delivered.ack).toHaveBeenCalledTimes(1);
    expect(listener.queueGroupName).toBe('orders-service');
  });

  it('a listener typed with Message from node-nats-streaming runs on any bus', async () => {
    const delivered = await new FakeEventBus().deliver(new ExpirationCompleteListener(new FakeEventBus()), {
      orderId: 'o1',
    });

    expect(delivered.acked).toBe(true);
  });

  it('a course-style publisher publishes through the course mock of the Stan client', async () => {
    const published: string[] = [];
    const data = {
      id: 'o1',
      version: 0,
      status: OrderStatusEnum.Created,
      userId: 'u1',
      expiresAt: new Date('2030-01-01T00:00:00Z').toISOString(),
      ticket: { id: 't1', price: 20 },
    };

    await new OrderCreatedPublisher(courseStanMock(published)).publish(data);
    await new PaymentCreatedPublisher(courseStanMock(published)).publish({ id: 'p1', orderId: 'o1', stripeId: 's1' });

    expect(published.map((p) => JSON.parse(p))).toEqual([data, { id: 'p1', orderId: 'o1', stripeId: 's1' }]);
  });
});
