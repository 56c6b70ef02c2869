/**
 * Stock holds (API.md "Stock holds"): a checkout's stock held before an order exists, by a
 * StockHoldWorkflow of its own (workflow id `hold-<holdId>`). Pure rules only.
 */
import type { AllocatedLine, OrderLineRequest, PricedLine } from './order';
import { aggregateDemand, type StockLine } from './stock';

export const HOLD_STATUSES = ['active', 'released', 'expired', 'converted'] as const;
export type HoldStatus = (typeof HOLD_STATUSES)[number];

/** How a hold ends without an order: given back by its holder, or by its timer. */
export type HoldEnd = 'released' | 'expired';

const WORKFLOW_ID_PREFIX = 'hold-';

export function holdWorkflowIdFor(holdId: string): string {
  return `${WORKFLOW_ID_PREFIX}${holdId}`;
}

/**
 * Why an order's items cannot be placed on a hold's units; undefined when they can. Per product
 * the order must ask for exactly what the hold holds, and every warehouse an order line names
 * must hold exactly what the order asks of it there; lines without a warehouse take the rest.
 */
export function holdMismatch(held: readonly StockLine[], items: readonly OrderLineRequest[]): string | undefined {
  const heldByProduct = totalsByProduct(held);
  const askedByProduct = totalsByProduct(items);
  for (const productId of [...new Set([...heldByProduct.keys(), ...askedByProduct.keys()])].sort()) {
    const holds = heldByProduct.get(productId) ?? 0;
    const asks = askedByProduct.get(productId) ?? 0;
    if (holds !== asks) return `the hold has ${holds} × ${productId}, the order asks for ${asks}`;
  }
  const heldAt = new Map(aggregateDemand(held).map((line) => [pairKey(line), line.quantity]));
  const named = items.flatMap(({ productId, warehouseId, quantity }) =>
    warehouseId === null ? [] : [{ productId, warehouseId, quantity }],
  );
  for (const line of aggregateDemand(named)) {
    const holds = heldAt.get(pairKey(line)) ?? 0;
    if (holds !== line.quantity) {
      return `the hold has ${holds} × ${line.productId} in ${line.warehouseId}, the order asks for ${line.quantity} there`;
    }
  }
  return undefined;
}

/**
 * The order's lines when it is placed on a hold: the hold's units where they are held, priced as
 * the order's own lines were (one catalog price per product), in the order's product order.
 */
export function linesFromHold(held: readonly StockLine[], priced: readonly PricedLine[]): AllocatedLine[] {
  const unitPrice = new Map(priced.map((line) => [line.productId, line.unitPrice]));
  const rank = new Map([...new Set(priced.map((line) => line.productId))].map((productId, index) => [productId, index]));
  return aggregateDemand(held)
    .sort((a, b) => (rank.get(a.productId) ?? 0) - (rank.get(b.productId) ?? 0))
    .map((line) => {
      const price = unitPrice.get(line.productId);
      if (price === undefined) throw new Error(`no price for ${line.productId}: the order does not ask for it`);
      return { ...line, unitPrice: price, lineTotal: price * line.quantity };
    });
}

/** What an extension may do to a hold: the limits it is judged by. */
export interface ExtensionLimits {
  expiresAt: string;
  maxExpiresAt: string;
  extensions: number;
  maxExtensions: number;
}

export type Extension = { ok: true; expiresAt: string } | { ok: false; why: string };

/**
 * Pushes the expiry out by `byMs`, never past the hold's ceiling (its start + HOLD_MAX_TTL), at
 * most `maxExtensions` times. Refused when no extension is left or the ceiling is already reached.
 */
export function extendExpiry(limits: ExtensionLimits, byMs: number): Extension {
  if (limits.extensions >= limits.maxExtensions) {
    return { ok: false, why: `it was extended ${limits.extensions} time(s), the most a hold may be` };
  }
  const current = Date.parse(limits.expiresAt);
  const ceiling = Date.parse(limits.maxExpiresAt);
  if (current >= ceiling) return { ok: false, why: `it already lasts until ${limits.maxExpiresAt}, the longest a hold may` };
  return { ok: true, expiresAt: new Date(Math.min(current + byMs, ceiling)).toISOString() };
}

function totalsByProduct(lines: readonly { productId: string; quantity: number }[]): Map<string, number> {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.productId, (totals.get(line.productId) ?? 0) + line.quantity);
  return totals;
}

function pairKey(line: { productId: string; warehouseId: string }): string {
  return JSON.stringify([line.productId, line.warehouseId]);
}
