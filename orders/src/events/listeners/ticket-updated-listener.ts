import {
  Listener,
  Subjects,
  type EventClient,
  type EventMessage,
  type TicketUpdatedEvent,
} from '@grider-ms-tickets/common';
import type { OrdersStore } from '../../store';
import type { OrdersListenerOptions } from './orders-listener-options';
import { queueGroupName } from './queue-group-name';

/**
 * Applies a ticket's changes to its replica, strictly in version order: only
 * the version right after the stored one is applied. An event from the future
 * (one before it is missing) is not acked and comes back later; one already
 * applied is acked and ignored.
 */
export class TicketUpdatedListener extends Listener<TicketUpdatedEvent> {
  subject: Subjects.TicketUpdated = Subjects.TicketUpdated;
  queueGroupName = queueGroupName;
  private readonly store: OrdersStore;

  constructor(client: EventClient, options: OrdersListenerOptions) {
    super(client, options);
    this.store = options.store;
  }

  async onMessage(data: TicketUpdatedEvent['data'], msg: EventMessage): Promise<void> {
    const ticket = await this.store.tickets.findById(data.id);
    if (ticket && data.version <= ticket.version) {
      this.logger.info(
        { ...this.logFieldsOf(msg), ticketId: data.id, version: data.version, stored: ticket.version },
        'ticket update applied already',
      );
      msg.ack();
      return;
    }
    if (!ticket || data.version > ticket.version + 1) {
      const fields = this.logFieldsOf(msg);
      this.logger.info(
        { ...fields, ticketId: data.id, version: data.version, stored: ticket?.version ?? null },
        'ticket update arrived out of order; it will be redelivered',
      );
      msg.nak(this.retryDelay(fields.deliveries));
      return;
    }
    // Saving increments the version from data.version - 1 to data.version.
    await this.store.tickets.save({ ...ticket, title: data.title, price: data.price });
    msg.ack();
  }
}
