import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from './client';
import { products, warehouses } from './schema';
import { DomainError } from '../domain/errors';

export interface CatalogPrice {
  price: number;
  currency: string;
}

/**
 * The catalog entries an order's lines name, by product id. Refuses (422 UNKNOWN_PRODUCT /
 * UNKNOWN_WAREHOUSE) any product, or any warehouse a line names, that does not exist or is
 * inactive, listing them all. The API checks this before a saga starts, so bad input never
 * starts one; the saga checks again when it prices, since the catalog can change in between.
 */
export async function catalogFor(
  db: Db,
  items: ReadonlyArray<{ productId: string; warehouseId?: string | null | undefined }>,
): Promise<Map<string, CatalogPrice>> {
  const productIds = [...new Set(items.map((i) => i.productId))];
  const warehouseIds = [...new Set(items.flatMap((i) => (i.warehouseId ? [i.warehouseId] : [])))];

  const catalog = await db
    .select({ id: products.id, price: products.price, currency: products.currency })
    .from(products)
    .where(and(inArray(products.id, productIds), eq(products.active, true)));
  const byId = new Map(catalog.map(({ id, price, currency }) => [id, { price, currency }]));
  const unknownProducts = productIds.filter((id) => !byId.has(id));
  if (unknownProducts.length > 0) {
    throw new DomainError('UNKNOWN_PRODUCT', `unknown or inactive product: ${unknownProducts.join(', ')}`, {
      productIds: unknownProducts,
    });
  }

  const open =
    warehouseIds.length === 0
      ? []
      : await db
          .select({ id: warehouses.id })
          .from(warehouses)
          .where(and(inArray(warehouses.id, warehouseIds), eq(warehouses.active, true)));
  const openIds = new Set(open.map((w) => w.id));
  const unknownWarehouses = warehouseIds.filter((id) => !openIds.has(id));
  if (unknownWarehouses.length > 0) {
    throw new DomainError('UNKNOWN_WAREHOUSE', `unknown or inactive warehouse: ${unknownWarehouses.join(', ')}`, {
      warehouseIds: unknownWarehouses,
    });
  }
  return byId;
}
