import { and, eq, sql } from 'drizzle-orm';
import { catalogFor, type CatalogPrice } from '../db/catalog';
import type { Db } from '../db/client';
import { appendEvents } from '../db/outbox';
import { inventoryMovements, orderItems, orders, stockReservations } from '../db/schema';
import { allocateLines, type CandidateLevel } from '../domain/allocation';
import { DomainError, type ShortItem } from '../domain/errors';
import type { NewEvent } from '../domain/events';
import { toApplicationFailure } from '../domain/failure';
import {
  CURRENCY,
  priceLines,
  type AllocatedLine,
  type OrderLineRequest,
  type OrderRequest,
  type PricedLine,
  type Quote,
} from '../domain/order';
import {
  aggregateDemand,
  type LevelCounts,
  type MovementReason,
  type ReleaseReason,
  type ReservationStatus,
} from '../domain/stock';
import { levelEvents, type StockMoveType } from '../domain/stock-events';
import { correlationIdOf } from './correlation';

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

/** The database or a transaction on it: whatever can run a statement. */
type Queryable = Pick<Db, 'execute'>;

/** A level as an UPDATE ... RETURNING LEVEL_COUNTS reads it back. */
type LevelRow = { product_id: string; warehouse_id: string; on_hand: number; reserved: number; low_stock_threshold: number };
const LEVEL_COUNTS = sql.raw('product_id, warehouse_id, on_hand, reserved, low_stock_threshold');

function countsOf(row: LevelRow): LevelCounts & { productId: string; warehouseId: string } {
  return {
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    onHand: row.on_hand,
    reserved: row.reserved,
    lowStockThreshold: row.low_stock_threshold,
  };
}

/**
 * How an order's holds move on: which reservations (by status) and what each held unit does to
 * the level, per unit (-1, 0 or +1).
 */
interface HoldTransition {
  from: ReservationStatus;
  to: ReservationStatus;
  reason: MovementReason;
  event: StockMoveType;
  onHand: -1 | 0 | 1;
  reserved: -1 | 0;
}

const RELEASE: HoldTransition = { from: 'active', to: 'released', reason: 'release', event: 'inventory.released', onHand: 0, reserved: -1 };
const EXPIRE: HoldTransition = { from: 'active', to: 'expired', reason: 'expiry', event: 'inventory.released', onHand: 0, reserved: -1 };
const COMMIT: HoldTransition = { from: 'active', to: 'committed', reason: 'commit', event: 'inventory.committed', onHand: -1, reserved: -1 };
const RESTOCK: HoldTransition = { from: 'committed', to: 'released', reason: 'restock', event: 'inventory.restocked', onHand: 1, reserved: 0 };

export function createInventoryActivities(db: Db) {
  return {
    /**
     * Validates products and warehouses (UNKNOWN_PRODUCT / UNKNOWN_WAREHOUSE), prices lines from
     * the catalog, fails fast with INSUFFICIENT_INVENTORY. A line without a warehouse is checked
     * against what all active warehouses have.
     */
    async checkAvailability(items: OrderLineRequest[]): Promise<Quote> {
      const quote = await priceFromCatalog(db, items);
      // Only a first look, without locks: reserveStock decides for real.
      const allocation = allocateLines(quote.lines, await candidateLevels(db, quote.lines, { lock: false }));
      if (!allocation.ok) throw toApplicationFailure(insufficientInventory(allocation.short));
      return quote;
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
        // The order row goes in first: a concurrent duplicate waits on its key until this
        // transaction ends and then finds the row, so an order is never reserved twice.
        const created = await tx
          .insert(orders)
          .values({
            id: orderId,
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
          })
          .onConflictDoNothing({ target: orders.id })
          .returning({ id: orders.id });
        if (created.length === 0) return existingReservation(tx, orderId);

        // Every level the order could touch is locked before anything is decided, in the one
        // lock order all transactions share (product id, warehouse id), so the allocation below
        // sees numbers nobody can change under it, and two carts holding the same SKUs in
        // opposite line order wait for each other instead of deadlocking.
        const allocation = allocateLines(quote.lines, await candidateLevels(tx, quote.lines, { lock: true }));
        if (!allocation.ok) throw toApplicationFailure(insufficientInventory(allocation.short)); // rolls back everything
        const lines = allocation.lines;
        const demand = aggregateDemand(
          lines.map(({ productId, warehouseId, quantity }) => ({ productId, warehouseId, quantity })),
        );

        const correlationId = correlationIdOf();
        const stockEvents: NewEvent[] = [];
        for (const line of demand) {
          const [held] = await tx.execute<LevelRow>(sql`
            UPDATE inventory_levels
            SET reserved = reserved + ${line.quantity}, updated_at = now()
            WHERE product_id = ${line.productId} AND warehouse_id = ${line.warehouseId}
              AND on_hand - reserved >= ${line.quantity}
            RETURNING ${LEVEL_COUNTS}`);
          // The rows are locked and the allocation fits them, so this cannot miss; the condition
          // stays as the invariant's last guard.
          if (!held) throw new Error(`level ${line.productId}/${line.warehouseId} changed while locked`);
          stockEvents.push(
            ...levelEvents(
              {
                type: 'inventory.reserved',
                level: countsOf(held),
                deltaOnHand: 0,
                deltaReserved: line.quantity,
                reason: 'reservation',
                orderId,
              },
              correlationId,
            ),
          );
        }

        await tx.insert(orderItems).values(
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
        await tx
          .insert(stockReservations)
          .values(demand.map((line) => ({ orderId, ...line, status: 'active', expiresAt })));
        await tx.insert(inventoryMovements).values(
          demand.map((line) => ({
            productId: line.productId,
            warehouseId: line.warehouseId,
            deltaOnHand: 0,
            deltaReserved: line.quantity,
            reason: 'reservation' satisfies MovementReason,
            orderId,
          })),
        );
        await appendEvents(tx, [
          {
            type: 'order.created',
            subject: orderId,
            correlationId,
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
              reservationExpiresAt: expiresAt.toISOString(),
            },
          },
          ...stockEvents,
        ]);
        return { orderId, expiresAt: expiresAt.toISOString(), lines };
      });
    },

    /** Gives active holds back. A no-op when nothing is held. */
    async releaseStock(orderId: string, reason: ReleaseReason): Promise<void> {
      await moveHolds(db, orderId, reason === 'expired' ? EXPIRE : RELEASE);
    },

    /** Turns active holds into deductions (on_hand -= q, reserved -= q). Idempotent. */
    async commitStock(orderId: string): Promise<void> {
      await moveHolds(db, orderId, COMMIT);
    },

    /** Puts committed (deducted) stock back on hand, e.g. when a paid order is cancelled. Idempotent. */
    async restockStock(orderId: string): Promise<void> {
      await moveHolds(db, orderId, RESTOCK);
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;

function insufficientInventory(items: ShortItem[]): DomainError {
  const names = items.map((i) => `${i.productId} in ${i.warehouseId ?? 'any warehouse'}`).join(', ');
  return new DomainError('INSUFFICIENT_INVENTORY', `not enough stock available for ${names}`, { items });
}

/** Prices each line from the catalog; every product and named warehouse must exist and be active. */
async function priceFromCatalog(db: Db, items: OrderLineRequest[]): Promise<Quote> {
  let byId: Map<string, CatalogPrice>;
  try {
    byId = await catalogFor(db, items);
  } catch (err) {
    throw err instanceof DomainError ? toApplicationFailure(err) : err;
  }

  const currencies = [...new Set([...byId.values()].map((p) => p.currency))];
  if (currencies.length > 1) {
    throw toApplicationFailure(
      new DomainError('VALIDATION_ERROR', `the products are priced in different currencies: ${currencies.join(', ')}`, {
        currencies,
      }),
    );
  }

  const unitPrices = new Map([...byId].map(([productId, product]) => [productId, product.price]));
  return priceLines(items, unitPrices, currencies[0] ?? CURRENCY);
}

/**
 * The levels the lines could take from: the named pair of each line with a warehouse, and every
 * level in an active warehouse of a product with a line left to the server. With `lock`, the
 * rows are locked FOR UPDATE in (product id, warehouse id) order, the order every stock
 * transaction takes its locks in.
 */
async function candidateLevels(
  db: Queryable,
  lines: readonly PricedLine[],
  { lock }: { lock: boolean },
): Promise<CandidateLevel[]> {
  const named = aggregateDemand(
    lines.flatMap(({ productId, warehouseId }) => (warehouseId === null ? [] : [{ productId, warehouseId, quantity: 0 }])),
  );
  const allocated = [...new Set(lines.flatMap((line) => (line.warehouseId === null ? [line.productId] : [])))];
  const wanted = [
    ...named.map((pair) => sql`(l.product_id = ${pair.productId} AND l.warehouse_id = ${pair.warehouseId})`),
    ...(allocated.length === 0
      ? []
      : [sql`(l.product_id IN (${sql.join(allocated.map((id) => sql`${id}`), sql`, `)}) AND w.active)`]),
  ];
  if (wanted.length === 0) return [];
  const rows = await db.execute<{
    product_id: string;
    warehouse_id: string;
    available: number;
    priority: number;
    active: boolean;
  }>(sql`
    SELECT l.product_id, l.warehouse_id, (l.on_hand - l.reserved)::int AS available, w.priority, w.active
    FROM inventory_levels l
    JOIN warehouses w ON w.id = l.warehouse_id
    WHERE ${sql.join(wanted, sql` OR `)}
    ORDER BY l.product_id COLLATE "C", l.warehouse_id COLLATE "C"
    ${lock ? sql`FOR UPDATE OF l` : sql``}`);
  return rows.map((row) => ({
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    available: row.available,
    priority: row.priority,
    active: row.active,
  }));
}

/** The answer a repeated reserveStock gives: the order's reservation and lines as first made. */
async function existingReservation(db: Pick<Db, 'select'>, orderId: string): Promise<ReservedOrder> {
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

/**
 * Moves every hold of an order in one status on to the next, in one transaction. The reservation
 * rows are locked first, so a concurrent duplicate waits and then finds nothing left in the
 * starting status: moving holds twice is a no-op.
 */
async function moveHolds(db: Db, orderId: string, move: HoldTransition): Promise<void> {
  await db.transaction(async (tx) => {
    const holds = await tx
      .select({
        productId: stockReservations.productId,
        warehouseId: stockReservations.warehouseId,
        quantity: stockReservations.quantity,
      })
      .from(stockReservations)
      .where(and(eq(stockReservations.orderId, orderId), eq(stockReservations.status, move.from)))
      .orderBy(sql`${stockReservations.productId} COLLATE "C"`, sql`${stockReservations.warehouseId} COLLATE "C"`)
      .for('update');
    if (holds.length === 0) return;

    // Levels in the shared lock order (see reserveStock); each level's events are written while
    // its row is locked, so its event counter is taken in that same order.
    const correlationId = correlationIdOf();
    for (const hold of aggregateDemand(holds)) {
      const [level] = await tx.execute<LevelRow>(sql`
        UPDATE inventory_levels
        SET on_hand = on_hand + ${move.onHand * hold.quantity},
            reserved = reserved + ${move.reserved * hold.quantity},
            updated_at = now()
        WHERE product_id = ${hold.productId} AND warehouse_id = ${hold.warehouseId}
        RETURNING ${LEVEL_COUNTS}`);
      if (!level) throw new Error(`level ${hold.productId}/${hold.warehouseId} of order ${orderId} does not exist`);
      await appendEvents(
        tx,
        levelEvents(
          {
            type: move.event,
            level: countsOf(level),
            deltaOnHand: move.onHand * hold.quantity,
            deltaReserved: move.reserved * hold.quantity,
            reason: move.reason,
            orderId,
          },
          correlationId,
        ),
      );
    }
    await tx
      .update(stockReservations)
      .set({ status: move.to, updatedAt: sql`now()` })
      .where(and(eq(stockReservations.orderId, orderId), eq(stockReservations.status, move.from)));
    await tx.insert(inventoryMovements).values(
      holds.map((hold) => ({
        productId: hold.productId,
        warehouseId: hold.warehouseId,
        deltaOnHand: move.onHand * hold.quantity,
        deltaReserved: move.reserved * hold.quantity,
        reason: move.reason,
        orderId,
      })),
    );
  });
}
