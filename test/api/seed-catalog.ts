import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { call } from '../support/http';
import { KEYS, type Stack } from '../support/stack';

export interface StockedProduct {
  productId: string;
  warehouseId: string;
  price: number;
}

/** A fresh product (in a fresh warehouse unless one is named) with `onHand` units, created through the admin API. */
export async function stockedProduct(
  stack: Stack,
  onHand: number,
  price = 1250,
  { warehouseId = `wh-${randomBytes(4).toString('hex')}` }: { warehouseId?: string } = {},
): Promise<StockedProduct> {
  const suffix = randomBytes(4).toString('hex');
  const productId = `sku-${suffix}`;
  await adminPut(stack, `/products/${productId}`, { name: `Mug ${suffix}`, price, currency: 'USD', active: true });
  await adminPut(stack, `/warehouses/${warehouseId}`, { name: `Warehouse ${suffix}`, priority: 1 });
  await adminPut(stack, `/inventory/${productId}/${warehouseId}`, { onHand, lowStockThreshold: 2 });
  return { productId, warehouseId, price };
}

async function adminPut(stack: Stack, path: string, body: unknown): Promise<void> {
  const res = await call(stack, 'PUT', path, { key: KEYS.admin, body });
  assert.ok(res.status === 200 || res.status === 201, `PUT ${path} answered ${res.status}: ${JSON.stringify(res.body)}`);
}
