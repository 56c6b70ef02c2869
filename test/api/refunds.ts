import type { Stack } from '../support/stack';

/** Minor units given back to the customer for the order so far (compensation and returns). */
export async function refundedTotal(stack: Stack, orderId: string): Promise<number> {
  const [row] = await stack.database.sql`SELECT coalesce(sum(amount), 0)::bigint AS amount FROM refunds WHERE order_id = ${orderId}`;
  return row!.amount as number;
}
