import {
  Listener,
  Subjects,
  type EventClient,
  type EventMessage,
  type TicketCreatedEvent,
} from '@grider-ms-tickets/common';
import { TicketExistsError, isObjectId, type OrdersStore } from '../../store';
import type { OrdersListenerOptions } from './orders-listener-options';
import { queueGroupName } from './queue-group-name';

/** Keeps a replica of every ticket, so orders can be placed without asking the tickets service. */
export class TicketCreatedListener extends Listener<TicketCreatedEvent> {
  subject: Subjects.TicketCreated = Subjects.TicketCreated;
  queueGroupName = queueGroupName;
  private readonly store: OrdersStore;

  constructor(client: EventClient, options: OrdersListenerOptions) {
    super(client, options);
    this.store = options.store;
  }

  async onMessage(data: TicketCreatedEvent['data'], msg: EventMessage): Promise<void> {
    if (!isObjectId(data.id)) {
      // Can never succeed: every id here is a MongoDB ObjectId.
      this.logger.warn(
        { ...this.logFieldsOf(msg), ticketId: data.id },
        'ticket id is not an ObjectId; acked and dropped',
      );
      msg.ack();
      return;
    }
    try {
      await this.store.tickets.create({ id: data.id, title: data.title, price: data.price });
    } catch (err) {
      if (!(err instanceof TicketExistsError)) throw err;
      // A redelivery of an event already applied (its ack was lost).
      this.logger.info({ ...this.logFieldsOf(msg), ticketId: data.id }, 'ticket replica exists already');
    }
    msg.ack();
  }
}
