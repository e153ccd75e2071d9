import { requireAuth } from '@grider-ms-tickets/common';
import { Router } from 'express';
import { toOrderView } from './order-view';
import type { RouteDependencies } from './route-dependencies';

/** `GET /api/orders`: the signed-in user's orders, with their tickets. */
export function createIndexOrderRouter({ store }: Pick<RouteDependencies, 'store'>): Router {
  const router = Router();
  router.get('/api/orders', requireAuth, async (req, res) => {
    const orders = await store.orders.listByUser(req.currentUser!.id);
    res.send(orders.map(toOrderView));
  });
  return router;
}
