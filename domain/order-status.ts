import type { OrderStatus } from './order';

/**
 * The statuses an order may move to, each from the statuses it may come from: the saga's
 * lifecycle, forwards only. A stale or duplicated saga writing an older status must never undo
 * what happened since: a delivered order never becomes expired, a cancelled one never confirmed.
 * Rows are created as awaiting_payment (reserveStock) or rejected (rejectOrder), never pending.
 */
export const ORDER_STATUS_SOURCES: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: [],
  awaiting_payment: ['pending'],
  rejected: ['pending'],
  confirmed: ['awaiting_payment'],
  shipped: ['confirmed'],
  // From confirmed too: the last delivery orders may report shipped and delivered in one go.
  delivered: ['confirmed', 'shipped'],
  returned: ['delivered'],
  cancelled: ['awaiting_payment', 'confirmed'],
  expired: ['awaiting_payment'],
};

/** What writing `to` over `from` does: a move along the lifecycle, a repeat (nothing to do), or a refusal. */
export type StatusWrite = 'move' | 'repeat' | 'refused';

export function statusWrite(from: OrderStatus, to: OrderStatus): StatusWrite {
  if (from === to) return 'repeat';
  return ORDER_STATUS_SOURCES[to].includes(from) ? 'move' : 'refused';
}
