import { BadRequestError, OrderStatus, requireAuth, validateRequest } from '@grider-ms-tickets/common';
import { Router } from 'express';
import { param } from 'express-validator';
import { orderCancelledData } from '../events/publishers/order-events';
import { OrderCancelledPublisher } from '../events/publishers/order-cancelled-publisher';
import { loadOwnOrder } from './load-own-order';
import type { RouteDependencies } from './route-dependencies';

/**
 * `DELETE /api/orders/:orderId`: cancels one of the user's orders, answers 204
 * and publishes order:cancelled. Cancelling a cancelled order answers 204 and
 * does nothing; a complete (paid) order can't be cancelled (400).
 *
 * If the publish fails after the save, the client gets a 500, and the order
 * stays cancelled; the expiration:complete that comes at the end of the
 * window publishes order:cancelled again (see ExpirationCompleteListener).
 */
export function createDeleteOrderRouter({ store, bus }: Pick<RouteDependencies, 'store' | 'bus'>): Router {
  const router = Router();
  router.delete(
    '/api/orders/:orderId',
    requireAuth,
    param('orderId').isMongoId().withMessage('orderId must be a valid id'),
    validateRequest,
    async (req, res) => {
      const order = await loadOwnOrder(store, req);
      if (order.status === OrderStatus.Complete) throw new BadRequestError('A paid order cannot be cancelled');
      if (order.status !== OrderStatus.Cancelled) {
        const cancelled = await store.orders.save({ ...order, status: OrderStatus.Cancelled });
        await new OrderCancelledPublisher(bus).publish(orderCancelledData(cancelled));
      }
      res.status(204).end();
    },
  );
  return router;
}
