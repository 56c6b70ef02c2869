/** Order lifecycle (API.md "Orders"). */
export const ORDER_STATUSES = [
  'pending',
  'awaiting_payment',
  'confirmed',
  'shipped',
  'delivered',
  'rejected',
  'cancelled',
  'expired',
  'returned',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses after which the saga has nothing left to do. */
export const FINAL_ORDER_STATUSES: readonly OrderStatus[] = ['rejected', 'cancelled', 'expired', 'returned'];

export const CURRENCY = 'USD';

/**
 * The failure type validateCustomer answers a saga run with when another run placed its order:
 * the run is a stale second saga and must take (and give back) nothing.
 */
export const ORDER_ALREADY_PLACED = 'OrderAlreadyPlaced';

/** One line as the client asked for it; without a warehouse the server allocates one (or several). */
export interface OrderLineRequest {
  productId: string;
  warehouseId: string | null;
  quantity: number;
}

/** One line priced from the catalog. Money in minor units. */
export interface PricedLine extends OrderLineRequest {
  unitPrice: number;
  lineTotal: number;
}

/** A priced line held in one warehouse: what reserveStock made of the request (lines may split). */
export interface AllocatedLine extends PricedLine {
  warehouseId: string;
}

/** What was asked for when an order was placed: the saga's input and what its order row records. */
export interface OrderRequest {
  orderId: string;
  customerId: string;
  items: OrderLineRequest[];
  shippingAddress: string;
  voucherCode: string | null;
  /** Fingerprint of the placing request; a repeat with another body is IDEMPOTENCY_KEY_REUSED. */
  requestHash: string;
}

/** What checkAvailability returns: the priced order, before anything is reserved. */
export interface Quote {
  lines: PricedLine[];
  subtotal: number;
  discount: number;
  total: number;
  currency: string;
}

/**
 * Prices each line at its product's unit price; the subtotal is their sum, with nothing off yet
 * (a voucher is applied later, by applyDiscount). Exact: 100 lines of 10,000 units at the largest
 * price (2^31 - 1) come to about 2.1e15, below 2^53.
 */
export function priceLines(items: readonly OrderLineRequest[], unitPrices: ReadonlyMap<string, number>, currency: string): Quote {
  const lines = items.map(({ productId, warehouseId, quantity }): PricedLine => {
    const unitPrice = unitPrices.get(productId);
    if (unitPrice === undefined) throw new RangeError(`no price for product ${productId}`);
    return { productId, warehouseId, quantity, unitPrice, lineTotal: unitPrice * quantity };
  });
  const subtotal = lines.reduce((sum, line) => sum + line.lineTotal, 0);
  return { lines, subtotal, discount: 0, total: subtotal, currency };
}

const WORKFLOW_ID_PREFIX = 'order-';

export function workflowIdFor(orderId: string): string {
  return `${WORKFLOW_ID_PREFIX}${orderId}`;
}

/** The order a saga's workflow id belongs to; undefined for workflows that are not order sagas. */
export function orderIdOfWorkflow(workflowId: string): string | undefined {
  return workflowId.startsWith(WORKFLOW_ID_PREFIX) ? workflowId.slice(WORKFLOW_ID_PREFIX.length) : undefined;
}
