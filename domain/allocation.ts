import type { ShortItem } from './errors';
import type { AllocatedLine, PricedLine } from './order';

/** One inventory level an order could take stock from. */
export interface CandidateLevel {
  productId: string;
  warehouseId: string;
  /** on_hand - reserved, as read (under lock when reserving). */
  available: number;
  /** Of the warehouse: lower is used first. */
  priority: number;
  /** Of the warehouse: only active warehouses are allocated from. */
  active: boolean;
}

export type Allocation = { ok: true; lines: AllocatedLine[] } | { ok: false; short: ShortItem[] };

/**
 * Decides where each line is held. Lines naming a warehouse take from it (all lines of one pair
 * together); the rest take from active warehouses by priority, then id, a line splitting across
 * warehouses when one cannot cover it. Lines keep their order; a split line becomes several lines
 * in the order they were taken. Everything short is reported at once.
 */
export function allocateLines(lines: readonly PricedLine[], levels: readonly CandidateLevel[]): Allocation {
  const left = new Map(levels.map((level) => [levelKey(level.productId, level.warehouseId), level.available]));
  const short: ShortItem[] = [];

  const explicit = new Map<string, ShortItem>();
  for (const line of lines) {
    if (line.warehouseId === null) continue;
    const key = levelKey(line.productId, line.warehouseId);
    const item = explicit.get(key) ?? { productId: line.productId, warehouseId: line.warehouseId, requested: 0, available: left.get(key) ?? 0 };
    item.requested += line.quantity;
    explicit.set(key, item);
  }
  for (const [key, item] of explicit) {
    if (item.requested > item.available) short.push(item);
    left.set(key, Math.max(item.available - item.requested, 0));
  }

  const byPriority = levels
    .filter((level) => level.active)
    .sort((a, b) => a.priority - b.priority || compareIds(a.warehouseId, b.warehouseId));
  const open = new Map<string, ShortItem>();
  for (const line of lines) {
    if (line.warehouseId !== null) continue;
    const item = open.get(line.productId) ?? {
      productId: line.productId,
      warehouseId: null,
      requested: 0,
      available: byPriority
        .filter((level) => level.productId === line.productId)
        .reduce((sum, level) => sum + (left.get(levelKey(level.productId, level.warehouseId)) ?? 0), 0),
    };
    item.requested += line.quantity;
    open.set(line.productId, item);
  }
  for (const item of open.values()) if (item.requested > item.available) short.push(item);
  if (short.length > 0) {
    return {
      ok: false,
      short: short.sort(
        (a, b) => compareIds(a.productId, b.productId) || compareIds(a.warehouseId ?? '\uffff', b.warehouseId ?? '\uffff'),
      ),
    };
  }

  const allocated: AllocatedLine[] = [];
  for (const line of lines) {
    if (line.warehouseId !== null) {
      allocated.push({ ...line, warehouseId: line.warehouseId });
      continue;
    }
    let wanted = line.quantity;
    for (const level of byPriority) {
      if (wanted === 0) break;
      if (level.productId !== line.productId) continue;
      const key = levelKey(level.productId, level.warehouseId);
      const taken = Math.min(wanted, left.get(key) ?? 0);
      if (taken === 0) continue;
      left.set(key, (left.get(key) ?? 0) - taken);
      wanted -= taken;
      allocated.push({ ...line, warehouseId: level.warehouseId, quantity: taken, lineTotal: line.unitPrice * taken });
    }
  }
  return { ok: true, lines: allocated };
}

function levelKey(productId: string, warehouseId: string): string {
  return JSON.stringify([productId, warehouseId]);
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
