import { and, eq, inArray } from 'drizzle-orm';
import type { Db } from '../../db/client';
import { products, warehouses } from '../../db/schema';
import { DomainError } from '../../domain/errors';

/**
 * Refuses references to products or warehouses that do not exist or are inactive, with the
 * codes placing an order uses (422 UNKNOWN_PRODUCT / UNKNOWN_WAREHOUSE). The API checks this up
 * front so bad input never starts a saga; the saga checks again, since the catalog can change.
 */
export async function ensureKnownCatalogItems(
  db: Db,
  items: ReadonlyArray<{ productId: string; warehouseId?: string | undefined }>,
): Promise<void> {
  const productIds = [...new Set(items.map((i) => i.productId))];
  const warehouseIds = [...new Set(items.flatMap((i) => (i.warehouseId ? [i.warehouseId] : [])))];
  const unknownProducts = await missingOrInactive(db, products, productIds);
  if (unknownProducts.length > 0) {
    throw new DomainError('UNKNOWN_PRODUCT', `unknown or inactive product: ${unknownProducts.join(', ')}`, {
      productIds: unknownProducts,
    });
  }
  const unknownWarehouses = await missingOrInactive(db, warehouses, warehouseIds);
  if (unknownWarehouses.length > 0) {
    throw new DomainError('UNKNOWN_WAREHOUSE', `unknown or inactive warehouse: ${unknownWarehouses.join(', ')}`, {
      warehouseIds: unknownWarehouses,
    });
  }
}

/** The ids among `ids` that name no active row of `table`. */
async function missingOrInactive(db: Db, table: typeof products | typeof warehouses, ids: string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db
    .select({ id: table.id })
    .from(table)
    .where(and(inArray(table.id, ids), eq(table.active, true)));
  const present = new Set(found.map((row) => row.id));
  return ids.filter((id) => !present.has(id));
}
