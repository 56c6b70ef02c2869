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
           (SELECT count(*) FROM delivery_orders)::int AS delivery_orders,
           (SELECT count(*) FROM voucher_redemptions)::int AS voucher_redemptions,
           (SELECT count(*) FROM order_returns)::int AS order_returns,
           (SELECT count(*) FROM return_items)::int AS return_items,
           (SELECT count(*) FROM refunds)::int AS refunds,
           (SELECT count(*) FROM stock_holds)::int AS stock_holds`;
  const levels = await sql`SELECT * FROM inventory_levels ORDER BY product_id, warehouse_id`;
  const products = await sql`SELECT * FROM products ORDER BY id`;
  const warehouses = await sql`SELECT * FROM warehouses ORDER BY id`;
  const customers = await sql`SELECT * FROM customers ORDER BY id`;
  const vouchers = await sql`SELECT * FROM vouchers ORDER BY code`;
  const statuses = await sql`SELECT id, status, updated_at FROM orders ORDER BY id`;
  const payments = await sql`SELECT id, status, refunded_at FROM payments ORDER BY id`;
  const deliveries = await sql`SELECT id, status FROM delivery_orders ORDER BY id`;
  const holds = await sql`SELECT id, status, expires_at, extensions FROM stock_holds ORDER BY id`;
  return JSON.parse(
    JSON.stringify({ counts, levels, products, warehouses, customers, vouchers, statuses, payments, deliveries, holds }),
  );
}
