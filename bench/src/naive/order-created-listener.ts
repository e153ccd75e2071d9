import type { Queue } from 'bull';
import {
  Listener,
  Subjects,
  type EventClient,
  type EventMessage,
  type OrderCreatedEvent,
} from '@grider-ms-tickets/common';
import type { Payload } from './expiration-queue';

/**
 * The course's listener: one message at a time (the Listener's default), one
 * awaited `queue.add` per event, then the ack. No job id, so a redelivered
 * event makes a second job.
 */
export class OrderCreatedListener extends Listener<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
  readonly queueGroupName = 'expiration-service';

  constructor(
    client: EventClient,
    private readonly expirationQueue: Queue<Payload>,
  ) {
    super(client);
  }

  async onMessage(data: OrderCreatedEvent['data'], msg: EventMessage): Promise<void> {
    const delay = new Date(data.expiresAt).getTime() - new Date().getTime();
    // The course also console.logs the delay of every event here; left out, so
    // the baseline is not slowed by logging (which flatters it, if anything).
    await this.expirationQueue.add({ orderId: data.id }, { delay });
    msg.ack();
  }
}
