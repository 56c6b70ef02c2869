import { randomUUID } from 'node:crypto';
import { createInventoryActivities, type ReserveStockInput } from '../../activities/inventory';
import type { Db } from '../../db/client';
import type { OrderLineRequest, Quote } from '../../domain/order';

const FIFTEEN_MINUTES = 15 * 60_000;

/** What the workflow would pass to reserveStock for this quote, for a fresh order id. */
export function reservationFor(quote: Quote, fields: Partial<ReserveStockInput> = {}): ReserveStockInput {
  return {
    orderId: randomUUID(),
    customerId: 'alice',
    quote,
    shippingAddress: '1 Main St',
    voucherCode: null,
    requestHash: 'test-request-hash',
    expiresAt: new Date(Date.now() + FIFTEEN_MINUTES).toISOString(),
    ...fields,
  };
}

/** An order in awaiting_payment, placed through the real checkAvailability and reserveStock; returns what was reserved. */
export async function reserveOrder(db: Db, items: OrderLineRequest[]): Promise<ReserveStockInput> {
  const inventory = createInventoryActivities(db);
  const input = reservationFor(await inventory.checkAvailability(items));
  await inventory.reserveStock(input);
  return input;
}
