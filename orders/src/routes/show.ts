import { requireAuth, validateRequest } from '@grider-ms-tickets/common';
import { Router } from 'express';
import { param } from 'express-validator';
import { loadOwnOrder } from './load-own-order';
import { toOrderView } from './order-view';
import type { RouteDependencies } from './route-dependencies';

/** `GET /api/orders/:orderId`: one of the user's orders. 404 when unknown, 401 when another user's. */
export function createShowOrderRouter({ store }: Pick<RouteDependencies, 'store'>): Router {
  const router = Router();
  router.get(
    '/api/orders/:orderId',
    requireAuth,
    param('orderId').isMongoId().withMessage('orderId must be a valid id'),
    validateRequest,
    async (req, res) => {
      res.send(toOrderView(await loadOwnOrder(store, req)));
    },
  );
  return router;
}
