import { eq, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client';
import { appendEvents } from '../db/outbox';
import { inventoryMovements, orderReturns, returnItems } from '../db/schema';
import { DomainError } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import type { OrderStatus } from '../domain/order';
import { refundForReturn } from '../domain/returns';
import { aggregateDemand, type MovementReason, type StockLine } from '../domain/stock';
import { levelEvents } from '../domain/stock-events';
import { correlationIdOf } from './correlation';

export interface RecordReturnInput {
  orderId: string;
  returnId: string;
  /** null: everything delivered and not yet returned. */
  items: StockLine[] | null;
  reason: string | null;
}

export interface RecordedReturn {
  returnId: string;
  refundAmount: number;
  /** True once every delivered unit of the order has come back. */
  everythingReturned: boolean;
  /** What this return took back, per (product, warehouse). */
  items: StockLine[];
}

/** A line of RETURN_NOT_ALLOWED's `details.items`: what was asked back against what may still come back. */
export interface UnreturnableItem {
  productId: string;
  warehouseId: string;
  requested: number;
  returnable: number;
}

/** Orders whose goods are with the customer. */
const RETURNABLE_STATUSES: readonly OrderStatus[] = ['delivered', 'returned'];


export function createReturnActivities(db: Db) {
  return {
    /**
     * One transaction: checks the items against what was delivered and not yet returned
     * (RETURN_NOT_ALLOWED otherwise), puts them back on hand (ledger reason 'return') and records
     * the return with its refund amount. Idempotent per returnId.
     */
    async recordReturn(input: RecordReturnInput): Promise<RecordedReturn> {
      const { orderId, returnId } = input;
      return db.transaction(async (tx) => {
        // The order row is the lock every return of the order queues on: what was delivered and
        // what came back before cannot change while this one is checked, and a duplicate of this
        // return waits and then finds it recorded.
        const [order] = await tx.execute<{
          status: OrderStatus;
          subtotal: number;
          discount: number;
          customer_id: string;
          currency: string;
        }>(sql`
          SELECT status, subtotal, discount, customer_id, currency FROM orders WHERE id = ${orderId} FOR NO KEY UPDATE`);
        if (!order) throw toApplicationFailure(new DomainError('ORDER_NOT_FOUND', `order ${orderId} does not exist`));

        const [recorded] = await tx
          .select({ orderId: orderReturns.orderId, refundAmount: orderReturns.refundAmount })
          .from(orderReturns)
          .where(eq(orderReturns.id, returnId));
        if (recorded) {
          if (recorded.orderId !== orderId) {
            throw toApplicationFailure(
              new DomainError('RETURN_NOT_ALLOWED', `return ${returnId} belongs to another order`, { returnId }),
            );
          }
          const left = await returnableLines(tx, orderId);
          const items = await tx
            .select({ productId: returnItems.productId, warehouseId: returnItems.warehouseId, quantity: returnItems.quantity })
            .from(returnItems)
            .where(eq(returnItems.returnId, returnId));
          return {
            returnId,
            refundAmount: recorded.refundAmount,
            everythingReturned: left.every((l) => l.returnable === 0),
            items: aggregateDemand(items),
          };
        }

        if (!RETURNABLE_STATUSES.includes(order.status)) {
          throw toApplicationFailure(
            new DomainError('RETURN_NOT_ALLOWED', `order ${orderId} is ${order.status}, not delivered`, { status: order.status }),
          );
        }
        const returnable = await returnableLines(tx, orderId);
        const byPair = new Map(returnable.map((line) => [pairKey(line), line]));
        const requested = aggregateDemand(
          input.items ??
            returnable
              .filter((line) => line.returnable > 0)
              .map(({ productId, warehouseId, returnable: quantity }) => ({ productId, warehouseId, quantity })),
        );
        const refused: UnreturnableItem[] = requested
          .map((line) => ({ ...line, returnable: byPair.get(pairKey(line))?.returnable ?? 0 }))
          .filter((line) => line.quantity > line.returnable || line.quantity <= 0)
          .map(({ productId, warehouseId, quantity, returnable: left }) => ({
            productId,
            warehouseId,
            requested: quantity,
            returnable: left,
          }));
        if (refused.length > 0) {
          throw toApplicationFailure(
            new DomainError('RETURN_NOT_ALLOWED', 'more was asked back than was delivered and not yet returned', {
              items: refused,
            }),
          );
        }
        if (requested.length === 0) {
          throw toApplicationFailure(
            new DomainError('RETURN_NOT_ALLOWED', `nothing of order ${orderId} is left to return`, { items: [] }),
          );
        }

        // Levels in the shared lock order (aggregateDemand sorted them), as every stock transaction
        // takes them; each level's events are written while its row is locked.
        const correlationId = correlationIdOf();
        for (const line of requested) {
          const [level] = await tx.execute<{ on_hand: number; reserved: number; low_stock_threshold: number }>(sql`
            UPDATE inventory_levels
            SET on_hand = on_hand + ${line.quantity}, updated_at = now()
            WHERE product_id = ${line.productId} AND warehouse_id = ${line.warehouseId}
            RETURNING on_hand, reserved, low_stock_threshold`);
          if (!level) throw new Error(`level ${line.productId}/${line.warehouseId} of order ${orderId} does not exist`);
          await appendEvents(
            tx,
            levelEvents(
              {
                type: 'inventory.restocked',
                level: {
                  productId: line.productId,
                  warehouseId: line.warehouseId,
                  onHand: level.on_hand,
                  reserved: level.reserved,
                  lowStockThreshold: level.low_stock_threshold,
                },
                deltaOnHand: line.quantity,
                deltaReserved: 0,
                reason: 'return',
                orderId,
              },
              correlationId,
            ),
          );
        }
        await tx.insert(inventoryMovements).values(
          requested.map((line) => ({
            productId: line.productId,
            warehouseId: line.warehouseId,
            deltaOnHand: line.quantity,
            deltaReserved: 0,
            reason: 'return' satisfies MovementReason,
            orderId,
          })),
        );

        const value = requested.reduce((sum, line) => sum + byPair.get(pairKey(line))!.unitPrice * line.quantity, 0);
        const refundAmount = refundForReturn(order, value, await refundableOf(tx, orderId));

        await tx.insert(orderReturns).values({ id: returnId, orderId, refundAmount, reason: input.reason });
        await tx.insert(returnItems).values(requested.map((line) => ({ returnId, ...line })));
        const everythingReturned = returnable.every(
          (line) => line.returnable === (requested.find((r) => pairKey(r) === pairKey(line))?.quantity ?? 0),
        );
        await appendEvents(tx, [
          {
            type: 'order.returned',
            subject: orderId,
            correlationId,
            data: {
              orderId,
              customerId: order.customer_id,
              returnId,
              items: requested,
              refundAmount,
              currency: order.currency,
              everythingReturned,
            },
          },
        ]);
        return { returnId, refundAmount, everythingReturned, items: requested };
      });
    },
  };
}

export type ReturnActivities = ReturnType<typeof createReturnActivities>;

interface ReturnableLine {
  productId: string;
  warehouseId: string;
  unitPrice: number;
  /** Delivered minus already returned. */
  returnable: number;
}

/** Per (product, warehouse) of the order: its price and how many units may still come back. */
async function returnableLines(tx: Tx, orderId: string): Promise<ReturnableLine[]> {
  const rows = await tx.execute<{ product_id: string; warehouse_id: string; unit_price: number; returnable: number }>(sql`
    WITH delivered AS (
      SELECT product_id, warehouse_id, max(unit_price) AS unit_price, sum(quantity) AS quantity
      FROM order_items WHERE order_id = ${orderId}
      GROUP BY product_id, warehouse_id
    ), returned AS (
      SELECT i.product_id, i.warehouse_id, sum(i.quantity) AS quantity
      FROM return_items i JOIN order_returns r ON r.id = i.return_id
      WHERE r.order_id = ${orderId}
      GROUP BY i.product_id, i.warehouse_id
    )
    SELECT d.product_id, d.warehouse_id, d.unit_price::bigint,
           (d.quantity - coalesce(r.quantity, 0))::int AS returnable
    FROM delivered d LEFT JOIN returned r USING (product_id, warehouse_id)
    ORDER BY d.product_id COLLATE "C", d.warehouse_id COLLATE "C"`);
  return rows.map((row) => ({
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    unitPrice: row.unit_price,
    returnable: row.returnable,
  }));
}

/** What the order paid and has not yet been given back: no return refunds beyond it. */
async function refundableOf(tx: Tx, orderId: string): Promise<number> {
  const [row] = await tx.execute<{ refundable: number }>(sql`
    SELECT (
      (SELECT coalesce(sum(amount), 0) FROM payments WHERE order_id = ${orderId} AND status IN ('succeeded', 'refunded'))
      - (SELECT coalesce(sum(amount), 0) FROM refunds WHERE order_id = ${orderId})
    )::bigint AS refundable`);
  return row?.refundable ?? 0;
}

function pairKey(line: { productId: string; warehouseId: string }): string {
  return JSON.stringify([line.productId, line.warehouseId]);
}
