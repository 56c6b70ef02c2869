/** Demand for one (product, warehouse) pair. */
export interface StockLine {
  productId: string;
  warehouseId: string;
  quantity: number;
}

/**
 * The largest on-hand count one level may hold (API.md LIMIT_EXCEEDED). Stock columns are 32-bit
 * integers; capping well below their range leaves room for the sums the ledger and an order's
 * demand (at most 100 lines of 10,000 units) add on top, so no stock arithmetic can overflow.
 */
export const MAX_ON_HAND = 1_000_000_000;

export const RESERVATION_STATUSES = ['active', 'committed', 'released', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

/** Why reserved stock is given back; `expired` marks the reservations expired, the rest released. */
export type ReleaseReason = 'cancelled' | 'expired' | 'compensation';

/** Why a ledger row (inventory_movements) was written. */
export type MovementReason =
  | 'stock_set'
  | 'adjustment'
  | 'reservation'
  | 'release'
  | 'expiry'
  | 'commit'
  | 'restock'
  | 'return'
  /** A stock hold's units passed to the order that adopted it: reserved stays as it was. */
  | 'conversion';

/**
 * Sums an order's demand per (product, warehouse) and sorts it in the one lock order every
 * transaction uses (product id, then warehouse id), so two lines of the same product are checked
 * together and concurrent reservations never deadlock.
 */
export function aggregateDemand(lines: readonly StockLine[]): StockLine[] {
  const byKey = new Map<string, StockLine>();
  for (const line of lines) {
    const key = JSON.stringify([line.productId, line.warehouseId]);
    const seen = byKey.get(key);
    if (seen) seen.quantity += line.quantity;
    else byKey.set(key, { ...line });
  }
  return [...byKey.values()].sort(
    (a, b) => compareIds(a.productId, b.productId) || compareIds(a.warehouseId, b.warehouseId),
  );
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The counts of a stock level that its alerts are judged on. */
export interface LevelCounts {
  onHand: number;
  reserved: number;
  lowStockThreshold: number;
}

export type StockAlert = 'low_stock' | 'out_of_stock';

/**
 * The lines a change to one level crossed on the way down, each announced once per crossing:
 * `low_stock` when available falls to the threshold or below (only for a threshold above 0,
 * where it would say nothing `out_of_stock` does not), `out_of_stock` when it falls to 0. A
 * change that crosses both announces both; going back up announces nothing, so the next fall
 * announces again.
 */
export function stockAlerts(before: LevelCounts, after: LevelCounts): StockAlert[] {
  const isLow = (level: LevelCounts) =>
    level.lowStockThreshold > 0 && level.onHand - level.reserved <= level.lowStockThreshold;
  const isOut = (level: LevelCounts) => level.onHand - level.reserved <= 0;
  const alerts: StockAlert[] = [];
  if (isLow(after) && !isLow(before)) alerts.push('low_stock');
  if (isOut(after) && !isOut(before)) alerts.push('out_of_stock');
  return alerts;
}
