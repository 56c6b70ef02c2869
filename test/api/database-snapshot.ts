import type { Stack } from '../support/stack';

/**
 * Everything a request could change, so a test can assert that a refused request changed
 * nothing: row counts of the saga's tables, and every level, product and warehouse as stored.
 */
export async function databaseSnapshot(stack: Stack): Promise<unknown> {
  const { sql } = stack.database;
  const [counts] = await sql`
    SELECT (SELECT count(*) FROM orders)::int AS orders,
           (SELECT count(*) FROM order_items)::int AS order_items,
           (SELECT count(*) FROM stock_reservations)::int AS stock_reservations,
           (SELECT count(*) FROM inventory_movements)::int AS inventory_movements,
           (SELECT count(*) FROM payments)::int AS payments,
           (SELECT count(*) FROM delivery_orders)::int AS delivery_orders`;
  const levels = await sql`SELECT * FROM inventory_levels ORDER BY product_id, warehouse_id`;
  const products = await sql`SELECT * FROM products ORDER BY id`;
  const warehouses = await sql`SELECT * FROM warehouses ORDER BY id`;
  const statuses = await sql`SELECT id, status, updated_at FROM orders ORDER BY id`;
  return JSON.parse(JSON.stringify({ counts, levels, products, warehouses, statuses }));
}
