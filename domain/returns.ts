import { shareOf } from './money';
import { aggregateDemand, type StockLine } from './stock';

/**
 * What may still come back: per (product, warehouse), what the order held less what was already
 * returned. Lines with nothing left are dropped; the result is in the shared lock order.
 */
export function stillReturnable(held: readonly StockLine[], returned: readonly StockLine[]): StockLine[] {
  const back = new Map(aggregateDemand(returned).map((line) => [pairKey(line), line.quantity]));
  return aggregateDemand(held)
    .map((line) => ({ ...line, quantity: line.quantity - (back.get(pairKey(line)) ?? 0) }))
    .filter((line) => line.quantity > 0);
}

/**
 * The first line of a return request that asks for more than is left, described for the refusal
 * ("3 × sku-mug from wh-east, 1 left"); undefined when the whole request can come back.
 */
export function overReturned(left: readonly StockLine[], requested: readonly StockLine[]): string | undefined {
  const available = new Map(left.map((line) => [pairKey(line), line.quantity]));
  for (const line of aggregateDemand(requested)) {
    const remaining = available.get(pairKey(line)) ?? 0;
    if (line.quantity > remaining) {
      return `${line.quantity} × ${line.productId} from ${line.warehouseId}, ${remaining} left`;
    }
  }
  return undefined;
}

/**
 * What one return gives back: the returned goods at the prices paid, less their share of the
 * order's discount (rounded down, so the shopper never loses a fraction to rounding), and never
 * more than is still refundable. Returns taken one by one therefore give back, all told, exactly
 * what was paid once everything is back: the last one is short by what the earlier ones' rounding
 * gave.
 */
export function refundForReturn(
  order: { subtotal: number; discount: number },
  goodsValue: number,
  refundable: number,
): number {
  const discountShare = order.subtotal > 0 ? shareOf(order.discount, goodsValue, order.subtotal) : 0;
  return Math.max(0, Math.min(goodsValue - discountShare, refundable));
}

function pairKey(line: { productId: string; warehouseId: string }): string {
  return JSON.stringify([line.productId, line.warehouseId]);
}
