import { randomBytes } from 'node:crypto';
import type { Db } from '../../db/client';
import { setOnHand, type InventoryLevel } from '../../db/inventory-levels';
import { customers, products, warehouses } from '../../db/schema';

export type Product = typeof products.$inferSelect;
export type Warehouse = typeof warehouses.$inferSelect;
export type Customer = typeof customers.$inferSelect;

function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A product with a fresh id (USD 19.99, active) unless told otherwise. */
export async function seedProduct(
  db: Db,
  fields: Partial<Pick<Product, 'id' | 'name' | 'price' | 'currency' | 'active'>> = {},
): Promise<Product> {
  const id = fields.id ?? uniqueId('sku');
  const [product] = await db
    .insert(products)
    .values({ id, name: `Product ${id}`, price: 1999, currency: 'USD', active: true, ...fields })
    .returning();
  return product!;
}

/** A warehouse with a fresh id (active, priority 100) unless told otherwise. */
export async function seedWarehouse(
  db: Db,
  fields: Partial<Pick<Warehouse, 'id' | 'name' | 'priority' | 'active'>> = {},
): Promise<Warehouse> {
  const id = fields.id ?? uniqueId('wh');
  const [warehouse] = await db
    .insert(warehouses)
    .values({ id, name: `Warehouse ${id}`, ...fields })
    .returning();
  return warehouse!;
}

/** Sets a level's on-hand count the way the admin API does, ledger row included. */
export function seedStock(
  db: Db,
  level: { productId: string; warehouseId: string; onHand: number; lowStockThreshold?: number },
): Promise<InventoryLevel> {
  return setOnHand(db, level);
}

/** A fresh product stocked in a fresh warehouse: the pair an order line names. */
export async function seedStockedProduct(
  db: Db,
  { onHand, price }: { onHand: number; price?: number },
): Promise<{ productId: string; warehouseId: string }> {
  const product = await seedProduct(db, price === undefined ? {} : { price });
  const warehouse = await seedWarehouse(db);
  await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand });
  return { productId: product.id, warehouseId: warehouse.id };
}

/** A customer who may order (active) unless told otherwise; for an existing id, sets its status. */
export async function seedCustomer(
  db: Db,
  fields: Partial<Pick<Customer, 'id' | 'email' | 'status'>> = {},
): Promise<Customer> {
  const id = fields.id ?? uniqueId('customer');
  const [customer] = await db
    .insert(customers)
    .values({ id, email: `${id}@example.com`, status: 'active', ...fields })
    .onConflictDoUpdate({ target: customers.id, set: { status: fields.status ?? 'active' } })
    .returning();
  return customer!;
}
