import { BadRequestError, NotFoundError, requestIdOf, requireAuth, validateRequest } from '@grider-ms-tickets/common';
import { Router } from 'express';
import { body } from 'express-validator';
import { reserveTicket } from '../domain/reserve-ticket';
import { toOrderView } from './order-view';
import type { RouteDependencies } from './route-dependencies';

/**
 * `POST /api/orders {ticketId}`: reserves the ticket for the signed-in user
 * until now + EXPIRATION_WINDOW_SECONDS, answers 201 with the order and
 * publishes order:created. 404 for an unknown ticket, 400 for a reserved one
 * or a malformed id.
 *
 * The request's id (`x-request-id`, or the one the request logger made)
 * becomes the order's correlation id, sent with each of its events.
 *
 * It answers 201 even when order:created could not be published: the order
 * exists and owes that event, which the sweeper publishes within one sweep
 * interval (see reserveTicket).
 */
export function createNewOrderRouter(deps: RouteDependencies): Router {
  const router = Router();
  router.post(
    '/api/orders',
    requireAuth,
    body('ticketId').isMongoId().withMessage('ticketId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const { ticketId } = req.body as { ticketId: string };
      const outcome = await reserveTicket(deps, {
        userId: req.currentUser!.id,
        ticketId,
        reservedForSeconds: deps.config.expirationWindowSeconds,
        // The order's first request id follows it: every event of the order carries it.
        correlationId: requestIdOf(req),
      });
      if (outcome.kind === 'unknown-ticket') throw new NotFoundError('Ticket not found');
      if (outcome.kind === 'ticket-reserved') throw new BadRequestError('Ticket is already reserved');
      res.status(201).send(toOrderView(outcome.order));
    },
  );
  return router;
}
