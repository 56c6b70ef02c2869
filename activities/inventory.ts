import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import {
  inventoryLevels,
  inventoryMovements,
  orderItems,
  orders,
  products,
  stockReservations,
  warehouses,
} from '../db/schema';
import { DomainError, type ShortItem } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import { CURRENCY, type OrderLineRequest, type PricedLine, type Quote } from '../domain/order';
import {
  aggregateDemand,
  type MovementReason,
  type ReleaseReason,
  type ReservationStatus,
  type StockLine,
} from '../domain/stock';

export interface ReserveStockInput {
  orderId: string;
  customerId: string;
  quote: Quote;
  shippingAddress: string;
  voucherCode: string | null;
  requestHash: string;
  /** ISO time the hold lapses (now + RESERVATION_TTL, from the workflow clock). */
  expiresAt: string;
}

export interface ReservedOrder {
  orderId: string;
  expiresAt: string;
}

/** The database or a transaction on it: whatever can run a statement. */
type Queryable = Pick<Db, 'execute'>;

/** How an order's active holds end: given back (released, expired) or turned into a deduction. */
interface HoldOutcome {
  status: Exclude<ReservationStatus, 'active'>;
  reason: MovementReason;
  deductOnHand: boolean;
}

export function createInventoryActivities(db: Db) {
  return {
    /** Validates products and warehouses (UNKNOWN_PRODUCT / UNKNOWN_WAREHOUSE), prices lines from the catalog, fails fast with INSUFFICIENT_INVENTORY. */
    async checkAvailability(items: OrderLineRequest[]): Promise<Quote> {
      const quote = await priceFromCatalog(db, items);
      // Only a first look, without locks: reserveStock decides for real.
      const short = (await availabilityOf(db, aggregateDemand(items))).filter((i) => i.available < i.requested);
      if (short.length > 0) throw toApplicationFailure(insufficientInventory(short));
      return quote;
    },

    /** One transaction: holds, reservation rows, ledger rows, the order row and its items. Idempotent per order. */
    async reserveStock(input: ReserveStockInput): Promise<ReservedOrder> {
      const { orderId, quote } = input;
      const expiresAt = new Date(input.expiresAt);
      const demand = aggregateDemand(quote.lines);
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

        // aggregateDemand sorted the pairs into the one lock order all transactions share, so
        // two carts holding the same SKUs in opposite line order cannot deadlock.
        for (const [index, line] of demand.entries()) {
          const held = await tx.execute(sql`
            UPDATE inventory_levels
            SET reserved = reserved + ${line.quantity}, updated_at = now()
            WHERE product_id = ${line.productId} AND warehouse_id = ${line.warehouseId}
              AND on_hand - reserved >= ${line.quantity}
            RETURNING product_id`);
          if (held.length === 0) {
            // Pairs before this one were held; this one is short, later ones may be too.
            const rest = await availabilityOf(tx, demand.slice(index));
            const short = rest.filter((item, i) => i === 0 || item.available < item.requested);
            throw toApplicationFailure(insufficientInventory(short)); // rolls back the whole transaction
          }
        }

        await tx.insert(orderItems).values(
          quote.lines.map((line, index) => ({
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
        return { orderId, expiresAt: expiresAt.toISOString() };
      });
    },

    /** Gives active holds back. A no-op when nothing is held. */
    async releaseStock(orderId: string, reason: ReleaseReason): Promise<void> {
      await endActiveHolds(
        db,
        orderId,
        reason === 'expired'
          ? { status: 'expired', reason: 'expiry', deductOnHand: false }
          : { status: 'released', reason: 'release', deductOnHand: false },
      );
    },

    /** Turns active holds into deductions (on_hand -= q, reserved -= q). Idempotent. */
    async commitStock(orderId: string): Promise<void> {
      await endActiveHolds(db, orderId, { status: 'committed', reason: 'commit', deductOnHand: true });
    },
  };
}

export type InventoryActivities = ReturnType<typeof createInventoryActivities>;

function insufficientInventory(items: ShortItem[]): DomainError {
  const names = items.map((i) => `${i.productId} in ${i.warehouseId}`).join(', ');
  return new DomainError('INSUFFICIENT_INVENTORY', `not enough stock available for ${names}`, { items });
}

/** Prices each line from the catalog; every product and warehouse must exist and be active. */
async function priceFromCatalog(db: Db, items: OrderLineRequest[]): Promise<Quote> {
  const productIds = [...new Set(items.map((i) => i.productId))];
  const warehouseIds = [...new Set(items.map((i) => i.warehouseId))];

  const catalog = await db
    .select({ id: products.id, price: products.price, currency: products.currency })
    .from(products)
    .where(and(inArray(products.id, productIds), eq(products.active, true)));
  const byId = new Map(catalog.map((p) => [p.id, p]));
  const unknownProducts = productIds.filter((id) => !byId.has(id));
  if (unknownProducts.length > 0) {
    throw toApplicationFailure(
      new DomainError('UNKNOWN_PRODUCT', `unknown or inactive product: ${unknownProducts.join(', ')}`, {
        productIds: unknownProducts,
      }),
    );
  }

  const open = await db
    .select({ id: warehouses.id })
    .from(warehouses)
    .where(and(inArray(warehouses.id, warehouseIds), eq(warehouses.active, true)));
  const openIds = new Set(open.map((w) => w.id));
  const unknownWarehouses = warehouseIds.filter((id) => !openIds.has(id));
  if (unknownWarehouses.length > 0) {
    throw toApplicationFailure(
      new DomainError('UNKNOWN_WAREHOUSE', `unknown or inactive warehouse: ${unknownWarehouses.join(', ')}`, {
        warehouseIds: unknownWarehouses,
      }),
    );
  }

  const currencies = [...new Set(catalog.map((p) => p.currency))];
  if (currencies.length > 1) {
    throw toApplicationFailure(
      new DomainError('VALIDATION_ERROR', `the products are priced in different currencies: ${currencies.join(', ')}`, {
        currencies,
      }),
    );
  }

  const lines: PricedLine[] = items.map(({ productId, warehouseId, quantity }) => {
    const unitPrice = byId.get(productId)!.price;
    return { productId, warehouseId, quantity, unitPrice, lineTotal: unitPrice * quantity };
  });
  const subtotal = lines.reduce((sum, line) => sum + line.lineTotal, 0);
  return { lines, subtotal, discount: 0, total: subtotal, currency: currencies[0] ?? CURRENCY };
}

/** What is available now for each demanded pair, in demand order; a missing level has 0. */
async function availabilityOf(db: Queryable, demand: StockLine[]): Promise<ShortItem[]> {
  if (demand.length === 0) return [];
  const wanted = sql.join(
    demand.map((line, index) => sql`(${index}::int, ${line.productId}, ${line.warehouseId}, ${line.quantity}::int)`),
    sql`, `,
  );
  const rows = await db.execute<{ product_id: string; warehouse_id: string; requested: number; available: number }>(sql`
    SELECT d.product_id, d.warehouse_id, d.requested, coalesce(l.on_hand - l.reserved, 0)::int AS available
    FROM (VALUES ${wanted}) AS d(position, product_id, warehouse_id, requested)
    LEFT JOIN inventory_levels l USING (product_id, warehouse_id)
    ORDER BY d.position`);
  return rows.map((row) => ({
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    requested: row.requested,
    available: row.available,
  }));
}

/** The answer a repeated reserveStock gives: the order's reservation as first made. */
async function existingReservation(db: Pick<Db, 'select'>, orderId: string): Promise<ReservedOrder> {
  const [order] = await db
    .select({ status: orders.status, expiresAt: orders.reservationExpiresAt })
    .from(orders)
    .where(eq(orders.id, orderId));
  if (!order?.expiresAt) {
    throw new Error(`order ${orderId} already exists without a reservation (status ${order?.status})`);
  }
  return { orderId, expiresAt: order.expiresAt.toISOString() };
}

/**
 * Ends every active hold of an order in one transaction. The reservation rows are locked first,
 * so a concurrent duplicate waits and then finds nothing active: ending holds twice is a no-op.
 */
async function endActiveHolds(db: Db, orderId: string, outcome: HoldOutcome): Promise<void> {
  await db.transaction(async (tx) => {
    const holds = await tx
      .select({
        productId: stockReservations.productId,
        warehouseId: stockReservations.warehouseId,
        quantity: stockReservations.quantity,
      })
      .from(stockReservations)
      .where(and(eq(stockReservations.orderId, orderId), eq(stockReservations.status, 'active')))
      .orderBy(sql`${stockReservations.productId} COLLATE "C"`, sql`${stockReservations.warehouseId} COLLATE "C"`)
      .for('update');
    if (holds.length === 0) return;

    // Levels in the shared lock order (see reserveStock).
    for (const hold of aggregateDemand(holds)) {
      const deducted = outcome.deductOnHand ? hold.quantity : 0;
      await tx.execute(sql`
        UPDATE inventory_levels
        SET on_hand = on_hand - ${deducted}, reserved = reserved - ${hold.quantity}, updated_at = now()
        WHERE product_id = ${hold.productId} AND warehouse_id = ${hold.warehouseId}`);
    }
    await tx
      .update(stockReservations)
      .set({ status: outcome.status, updatedAt: sql`now()` })
      .where(and(eq(stockReservations.orderId, orderId), eq(stockReservations.status, 'active')));
    await tx.insert(inventoryMovements).values(
      holds.map((hold) => ({
        productId: hold.productId,
        warehouseId: hold.warehouseId,
        deltaOnHand: outcome.deductOnHand ? -hold.quantity : 0,
        deltaReserved: -hold.quantity,
        reason: outcome.reason,
        orderId,
      })),
    );
  });
}
