import { BadRequestError, requireAuth, validateRequest } from '@grider-ms-tickets/common';
import { Router } from 'express';
import { param } from 'express-validator';
import { cancelOrder } from '../domain/cancel-order';
import { loadOwnOrder } from './load-own-order';
import type { RouteDependencies } from './route-dependencies';

/**
 * `DELETE /api/orders/:orderId`: cancels one of the user's orders, answers 204
 * and publishes order:cancelled. Cancelling a cancelled order answers 204 and
 * publishes only what it still owes; a complete (paid) order can't be
 * cancelled (400).
 *
 * It answers 204 even when order:cancelled could not be published: the order
 * is cancelled and owes that event, which the sweeper publishes within one
 * sweep interval (see cancelOrder).
 */
export function createDeleteOrderRouter(deps: RouteDependencies): Router {
  const router = Router();
  router.delete(
    '/api/orders/:orderId',
    requireAuth,
    param('orderId').isMongoId().withMessage('orderId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const order = await loadOwnOrder(deps.store, req);
      const outcome = await cancelOrder(deps, order, { reason: 'user' });
      if (outcome.kind === 'complete') throw new BadRequestError('A paid order cannot be cancelled');
      res.status(204).end();
    },
  );
  return router;
}
