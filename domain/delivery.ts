import type { OrderStatus } from './order';

/** Where one delivery order is, as the saga follows it. */
export type DeliveryStage = 'reserved' | 'shipped' | 'delivered';

/** A move the warehouse reports: a delivery order shipped, or delivered. */
export type DeliveryMove = Exclude<DeliveryStage, 'reserved'>;

const STAGE_ORDER: readonly DeliveryStage[] = ['reserved', 'shipped', 'delivered'];

/** Whether a move takes a delivery order further than the stage it is at. */
export function isForward(stage: DeliveryStage, move: DeliveryMove): boolean {
  return STAGE_ORDER.indexOf(move) > STAGE_ORDER.indexOf(stage);
}

/** The stage each move starts from. */
export const MOVE_FROM: Readonly<Record<DeliveryMove, DeliveryStage>> = { shipped: 'reserved', delivered: 'shipped' };

/**
 * The order's status its delivery orders add up to: delivered once every one is delivered,
 * shipped once every one has left, confirmed while any is still waiting to ship.
 */
export function orderStatusForStages(stages: readonly DeliveryStage[]): OrderStatus {
  if (stages.every((stage) => stage === 'delivered')) return 'delivered';
  if (stages.every((stage) => stage !== 'reserved')) return 'shipped';
  return 'confirmed';
}
