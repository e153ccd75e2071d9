import { FakeEventBus } from '../../testing';
import { InvalidEventError } from '../invalid-event-error';
import { Publisher } from '../publisher';
import { Subjects } from '../subjects';
import type { ExpirationCompleteEvent } from '../expiration-complete-event';
import type { TicketUpdatedEvent } from '../ticket-updated-event';

class ExpirationCompletePublisher extends Publisher<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
}

/** Keys each ticket version once, as a service would. */
class TicketUpdatedPublisher extends Publisher<TicketUpdatedEvent> {
  subject: Subjects.TicketUpdated = Subjects.TicketUpdated;
  protected override messageId(data: TicketUpdatedEvent['data']): string {
    return `${data.id}@${data.version}`;
  }
}

describe('Publisher', () => {
  it('publishes the payload as JSON on its subject, without a message id by default', async () => {
    const bus = new FakeEventBus();
    const publish = jest.spyOn(bus, 'publish');

    await new ExpirationCompletePublisher(bus).publish({ orderId: 'o1' });

    expect(publish).toHaveBeenCalledWith(Subjects.ExpirationComplete, '{"orderId":"o1"}', { msgId: undefined });
    expect(bus.publishedOn<ExpirationCompleteEvent>(Subjects.ExpirationComplete)).toEqual([{ orderId: 'o1' }]);
  });

  it('passes messageId() as the msgId of the message', async () => {
    const bus = new FakeEventBus();

    await new TicketUpdatedPublisher(bus).publish({ id: 't1', version: 3, title: 'Show', price: 10, userId: 'u1' });

    expect(bus.published).toEqual([
      {
        subject: Subjects.TicketUpdated,
        data: { id: 't1', version: 3, title: 'Show', price: 10, userId: 'u1' },
        msgId: 't1@3',
      },
    ]);
  });

  it('refuses a payload that breaks the schema with an InvalidEventError naming the field, and sends nothing', async () => {
    const bus = new FakeEventBus();
    const publisher = new ExpirationCompletePublisher(bus);

    const attempt = publisher.publish({ orderId: 42 } as unknown as ExpirationCompleteEvent['data']);

    await expect(attempt).rejects.toThrow(InvalidEventError);
    await expect(attempt).rejects.toMatchObject({
      subject: Subjects.ExpirationComplete,
      reason: expect.stringMatching(/^orderId: /),
      isOperational: false,
      name: 'InvalidEventError',
    });
    expect(bus.published).toEqual([]);
  });

  it('rejects with the transport error when the bus cannot publish', async () => {
    const bus = new FakeEventBus();
    bus.failNextPublishes(1, new Error('nats down'));

    await expect(new ExpirationCompletePublisher(bus).publish({ orderId: 'o1' })).rejects.toThrow('nats down');
  });
});
