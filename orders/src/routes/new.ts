import { BadRequestError, NotFoundError, OrderStatus, requireAuth, validateRequest } from '@grider-ms-tickets/common';
import { Router } from 'express';
import { body } from 'express-validator';
import { OrderCreatedPublisher } from '../events/publishers/order-created-publisher';
import { orderCreatedData } from '../events/publishers/order-events';
import { TicketReservedError, type Order } from '../store';
import type { RouteDependencies } from './route-dependencies';

/**
 * `POST /api/orders {ticketId}`: reserves the ticket for the signed-in user
 * until now + EXPIRATION_WINDOW_SECONDS, answers 201 with the order and
 * publishes order:created. 404 for an unknown ticket, 400 for a reserved one
 * or a malformed id.
 */
export function createNewOrderRouter({ store, bus, config, logger }: RouteDependencies): Router {
  const router = Router();
  router.post(
    '/api/orders',
    requireAuth,
    body('ticketId').isMongoId().withMessage('ticketId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const { ticketId } = req.body as { ticketId: string };
      const ticket = await store.tickets.findById(ticketId);
      if (!ticket) throw new NotFoundError('Ticket not found');

      const expiresAt = new Date(Date.now() + config.expirationWindowSeconds * 1000);
      let order: Order;
      try {
        // The store refuses a second active order for a ticket atomically,
        // so two users racing for one ticket can't both get it.
        order = await store.orders.create({ userId: req.currentUser!.id, expiresAt, ticket });
      } catch (err) {
        if (err instanceof TicketReservedError) throw new BadRequestError('Ticket is already reserved', { cause: err });
        throw err;
      }

      try {
        await new OrderCreatedPublisher(bus).publish(orderCreatedData(order));
      } catch (err) {
        // Without order:created no expiration is ever scheduled, and the
        // ticket would stay reserved for ever. Release it, then fail.
        await store.orders.save({ ...order, status: OrderStatus.Cancelled }).catch((cancelErr: unknown) => {
          logger.error({ err: cancelErr, orderId: order.id }, 'could not cancel an order whose order:created failed');
        });
        throw err;
      }
      res.status(201).send(order);
    },
  );
  return router;
}
