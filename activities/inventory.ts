import { and, eq, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appendEvents } from '../db/outbox';
import { orderItems, orders, stockReservations } from '../db/schema';
import { allocateLines } from '../domain/allocation';
import { toApplicationFailure } from '../domain/failure';
import type { AllocatedLine, OrderLineRequest, OrderRequest, Quote } from '../domain/order';
import type { NewEvent } from '../domain/events';
import type { ReleaseReason } from '../domain/stock';
import { correlationIdOf } from './correlation';
import { sagaRunIdOf } from './saga-run';
import {
  candidateLevels,
  COMMIT,
  EXPIRE,
  insufficientInventory,
  moveReservations,
  priceFromCatalog,
  RELEASE,
  reserveLevels,
  RESTOCK,
  type Tx,
} from './stock-reservations';

/** The request without its raw lines: reserveStock holds the priced (and discounted) quote instead. */
export interface ReserveStockInput extends Omit<OrderRequest, 'items'> {
  quote: Quote;
  /** ISO time the hold lapses (now + RESERVATION_TTL, from the workflow clock). */
  expiresAt: string;
}

export interface ReservedOrder {
  orderId: string;
  expiresAt: string;
  /** The lines as held: every line with its warehouse, split where one warehouse could not cover it. */
  lines: AllocatedLine[];
}

export function createInventoryActivities(db: Db) {
  return {
    /**
     * Validates products and warehouses (UNKNOWN_PRODUCT / UNKNOWN_WAREHOUSE), prices lines from
     * the catalog, fails fast with INSUFFICIENT_INVENTORY. A line without a warehouse is checked
     * against what all active warehouses have. With `orderId`, what that order already holds
     * counts as available: a placing repeated after a lost workflow task must not be refused
     * for want of its own reservation.
     */
    async checkAvailability(items: OrderLineRequest[], orderId?: string): Promise<Quote> {
      const quote = await priceFromCatalog(db, items);
      // Only a first look, without locks: reserveStock decides for real.
      const levels = await candidateLevels(db, quote.lines, { lock: false, heldBy: orderId });
      const allocation = allocateLines(quote.lines, levels);
      if (!allocation.ok) throw toApplicationFailure(insufficientInventory(allocation.short));
      return quote;
    },

    /**
     * Prices lines from the catalog without looking at stock (UNKNOWN_PRODUCT / UNKNOWN_WAREHOUSE):
     * for an order placed on a stock hold, whose units are held already.
     */
    async priceItems(items: OrderLineRequest[]): Promise<Quote> {
      return priceFromCatalog(db, items);
    },

    /**
     * One transaction: allocates lines without a warehouse, then writes holds, reservation rows,
     * ledger rows, the order row and its (allocated) items. Idempotent per order: a repeat
     * returns the lines as first held.
     */
    async reserveStock(input: ReserveStockInput): Promise<ReservedOrder> {
      const { orderId, quote } = input;
      const expiresAt = new Date(input.expiresAt);
      return db.transaction(async (tx) => {
        if (!(await insertOrderRow(tx, input, expiresAt))) return existingReservation(tx, orderId);
        const { lines, stockEvents } = await reserveLevels(tx, quote.lines, { orderId }, expiresAt);
        await writeOrderLines(tx, input, lines, stockEvents);
        return { orderId, expiresAt: expiresAt.toISOString(), lines };
      });
    },

    /**
     * Pushes an unpaid order's reservation out to `expiresAt` (its row and its active holds), never
     * back in: a repeat, or one arriving late, changes nothing.
     */
    async extendReservation(orderId: string, expiresAt: string): Promise<void> {
      const until = sql`${new Date(expiresAt).toISOString()}::timestamptz`;
      await db.transaction(async (tx) => {
        await tx
          .update(orders)
          .set({ reservationExpiresAt: sql`greatest(${orders.reservationExpiresAt}, ${until})`, updatedAt: sql`now()` })
          .where(and(eq(orders.id, orderId), eq(orders.status, 'awaiting_payment')));
        await tx
          .update(stockReservations)
          .set({ expiresAt: sql`greatest(${stockReservations.expiresAt}, ${until})`, updatedAt: sql`now()` })
          .where(and(eq(stockReservations.orderId, orderId), eq(stockReservations.status, 'active')));
      });
    },

    /** Gives active holds back. A no-op when nothing is held. */
    async releaseStock(orderId: string, reason: ReleaseReason): Promise<void> {
      await db.transaction((tx) => moveReservations(tx, { orderId }, reason === 'expired' ? EXPIRE : RELEASE));
    },

    /** Turns active holds into deductions (on_hand -= q, reserved -= q). Idempotent. */
    async commitStock(orderId: string): Promise<void> {
      await db.transaction((tx) => moveReservations(tx, { orderId }, COMMIT));
    },

    /** Puts committed (deducted) stock back on hand, e.g. when a paid order is cancelled. Idempotent. */
    async restockStock(orderId: string): Promise<void> {
      await db.transaction((tx) => moveReservations(tx, { orderId }, RESTOCK));
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;

/**
 * Inserts the order row of a reservation, first thing in its transaction: a concurrent duplicate
 * waits on its key until this transaction ends and then finds the row, so an order is never
 * reserved twice. False when the row was there already (the caller answers as before).
 */
export async function insertOrderRow(tx: Tx, input: ReserveStockInput, expiresAt: Date): Promise<boolean> {
  const { quote } = input;
  const created = await tx
    .insert(orders)
    .values({
      id: input.orderId,
      customerId: input.customerId,
      status: 'awaiting_payment',
      subtotal: quote.subtotal,
      discount: quote.discount,
      total: quote.total,
      currency: quote.currency,
      shippingAddress: input.shippingAddress,
      voucherCode: input.voucherCode,
      reservationExpiresAt: expiresAt,
      requestHash: input.requestHash,
      placedByRun: sagaRunIdOf(),
    })
    .onConflictDoNothing({ target: orders.id })
    .returning({ id: orders.id });
  return created.length > 0;
}

/** Writes a reserved order's (allocated) items and its order.created event, then the stock events. */
export async function writeOrderLines(
  tx: Tx,
  input: ReserveStockInput,
  lines: AllocatedLine[],
  stockEvents: NewEvent[],
): Promise<void> {
  const { orderId, quote } = input;
  // Together, like the reservation's rows: the levels are still locked (see reserveLevels).
  const items = tx.insert(orderItems).values(
    lines.map((line, index) => ({
      orderId,
      lineNo: index + 1,
      productId: line.productId,
      warehouseId: line.warehouseId,
      quantity: line.quantity,
      unitPrice: line.unitPrice,
      lineTotal: line.lineTotal,
    })),
  );
  const events = appendEvents(tx, [
    {
      type: 'order.created',
      subject: orderId,
      correlationId: correlationIdOf(),
      data: {
        orderId,
        customerId: input.customerId,
        status: 'awaiting_payment',
        items: lines.map(({ productId, warehouseId, quantity, unitPrice, lineTotal }) => ({
          productId,
          warehouseId,
          quantity,
          unitPrice,
          lineTotal,
        })),
        subtotal: quote.subtotal,
        discount: quote.discount,
        total: quote.total,
        currency: quote.currency,
        voucherCode: input.voucherCode,
        shippingAddress: input.shippingAddress,
        reservationExpiresAt: new Date(input.expiresAt).toISOString(),
      },
    },
    ...stockEvents,
  ]);
  await Promise.all([items, events]);
}

/** The answer a repeated reserveStock gives: the order's reservation and lines as first made. */
export async function existingReservation(db: Pick<Db, 'select'>, orderId: string): Promise<ReservedOrder> {
  const [order] = await db
    .select({ status: orders.status, expiresAt: orders.reservationExpiresAt })
    .from(orders)
    .where(eq(orders.id, orderId));
  if (!order?.expiresAt) {
    throw new Error(`order ${orderId} already exists without a reservation (status ${order?.status})`);
  }
  const lines = await db
    .select({
      productId: orderItems.productId,
      warehouseId: orderItems.warehouseId,
      quantity: orderItems.quantity,
      unitPrice: orderItems.unitPrice,
      lineTotal: orderItems.lineTotal,
    })
    .from(orderItems)
    .where(eq(orderItems.orderId, orderId))
    .orderBy(orderItems.lineNo);
  return { orderId, expiresAt: order.expiresAt.toISOString(), lines };
}
