import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { timelineOf } from '../read-models/timeline';
import type { Route } from '../route';
import { timelineEntry } from '../schemas/timeline';
import { orderListRoute } from './order-list';

/** What the order's saga did, step by step, read from its workflow history. */
export function orderTimelineRoutes({ database: { db }, workflows }: RouteDeps): Route[] {
  return [
    orderListRoute(db, {
      what: 'timeline',
      summary: "The saga's steps from its workflow history, oldest first",
      description: '404 NOT_FOUND once the workflow engine no longer keeps the history (its retention period is over).',
      item: timelineEntry,
      errors: ['NOT_FOUND'],
      read: async (orderId) => {
        const events = await workflows.history(orderId);
        // The order outlived its saga's history (the namespace's retention period is over).
        if (!events) throw new DomainError('NOT_FOUND', `the history of order ${orderId} is no longer kept`);
        return timelineOf(events);
      },
    }),
  ];
}
