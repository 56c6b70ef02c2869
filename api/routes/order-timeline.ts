import { Router } from 'express';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { allow } from '../middleware/authenticate';
import { findVisibleOrder } from '../read-models/order';
import { timelineOf } from '../read-models/timeline';
import { orderParams } from '../schemas/ids';
import { parseInput } from '../validation';

/** What the order's saga did, step by step, read from its workflow history. */
export function orderTimelineRouter({ database: { db }, workflows }: RouteDeps): Router {
  const router = Router();

  router.get('/:orderId/timeline', allow('admin', 'customer'), async (req, res) => {
    const { orderId } = parseInput('params', orderParams, req.params);
    await findVisibleOrder(db, res.locals.principal, orderId);
    const events = await workflows.history(orderId);
    // The order outlived its saga's history (the namespace's retention period is over).
    if (!events) throw new DomainError('NOT_FOUND', `the history of order ${orderId} is no longer kept`);
    const timeline = timelineOf(events);
    sendData(res, 200, timeline, { total: timeline.length });
  });

  return router;
}
