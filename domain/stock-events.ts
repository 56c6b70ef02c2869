import { levelSubject, type LevelData, type NewEvent } from './events';
import { stockAlerts, type LevelCounts, type MovementReason } from './stock';

/** The stock events that announce a level's own move (alerts follow them). */
export type StockMoveType =
  | 'inventory.reserved'
  | 'inventory.released'
  | 'inventory.committed'
  | 'inventory.restocked'
  | 'inventory.adjusted';

/** One level's change, as the transaction that made it knows it. */
export interface LevelChange {
  type: StockMoveType;
  /** The level as the change left it. */
  level: LevelCounts & { productId: string; warehouseId: string };
  deltaOnHand: number;
  deltaReserved: number;
  reason: MovementReason;
  orderId: string | null;
  /** The stock hold whose units moved, for a hold's reservation, release or expiry. */
  holdId?: string | null;
  note?: string | null;
  /** The threshold before the change, when the change also set a new one. */
  lowStockThresholdBefore?: number;
}

/**
 * The events one level's change writes: the move itself, then each line it crossed on the way
 * down (low stock, out of stock), all on the level's subject.
 */
export function levelEvents(change: LevelChange, correlationId: string | null): NewEvent[] {
  const { level } = change;
  const subject = levelSubject(level.productId, level.warehouseId);
  const after = levelData(level);
  const before: LevelCounts = {
    onHand: level.onHand - change.deltaOnHand,
    reserved: level.reserved - change.deltaReserved,
    lowStockThreshold: change.lowStockThresholdBefore ?? level.lowStockThreshold,
  };
  const moved: NewEvent[] =
    change.deltaOnHand === 0 && change.deltaReserved === 0
      ? []
      : [
          {
            type: change.type,
            subject,
            correlationId,
            data: {
              ...after,
              reason: change.reason,
              deltaOnHand: change.deltaOnHand,
              deltaReserved: change.deltaReserved,
              orderId: change.orderId,
              ...(change.holdId ? { holdId: change.holdId } : {}),
              note: change.note ?? null,
            },
          },
        ];
  const alerts = stockAlerts(before, level).map(
    (alert): NewEvent => ({ type: `inventory.${alert}`, subject, correlationId, data: after }),
  );
  return [...moved, ...alerts];
}

/** A level as every stock event reports it. */
function levelData(level: LevelCounts & { productId: string; warehouseId: string }): LevelData {
  return {
    productId: level.productId,
    warehouseId: level.warehouseId,
    onHand: level.onHand,
    reserved: level.reserved,
    available: level.onHand - level.reserved,
    lowStockThreshold: level.lowStockThreshold,
  };
}

/** `inventory.hold_converted`: a hold's units at one level became an order's reservation. */
export function holdConvertedEvent(
  conversion: { level: LevelCounts & { productId: string; warehouseId: string }; holdId: string; orderId: string; quantity: number },
  correlationId: string | null,
): NewEvent {
  const { level, holdId, orderId, quantity } = conversion;
  return {
    type: 'inventory.hold_converted',
    subject: levelSubject(level.productId, level.warehouseId),
    correlationId,
    data: { ...levelData(level), reason: 'conversion', deltaOnHand: 0, deltaReserved: 0, orderId, holdId, quantity, note: null },
  };
}
