/**
 * The stock side every reservation shares, whoever owns it (an order's saga, or a stock hold's
 * workflow): pricing from the catalog, allocation under lock, the level updates in the one lock
 * order, reservation rows, ledger rows and stock events, all inside the caller's transaction.
 */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { catalogFor, type CatalogPrice } from '../db/catalog';
import type { Db, Tx } from '../db/client';

export type { Tx };
import { appendEvents } from '../db/outbox';
import { inventoryMovements, stockReservations } from '../db/schema';
import { allocateLines, type CandidateLevel } from '../domain/allocation';
import { DomainError, type ShortItem } from '../domain/errors';
import type { NewEvent } from '../domain/events';
import { toApplicationFailure } from '../domain/failure';
import { CURRENCY, priceLines, type AllocatedLine, type OrderLineRequest, type PricedLine, type Quote } from '../domain/order';
import { aggregateDemand, type LevelCounts, type MovementReason, type ReservationStatus, type StockLine } from '../domain/stock';
import { levelEvents, type StockMoveType } from '../domain/stock-events';
import { correlationIdOf } from './correlation';

/** The database or a transaction on it: whatever can run a statement. */
export type Queryable = Pick<Db, 'execute'>;
/** A transaction, as db.transaction hands it to its callback. */

/**
 * Who a reservation belongs to: an order, or a stock hold no order has adopted yet. Its rows,
 * ledger rows and events carry the owner's id.
 */
export type StockOwner = { orderId: string; holdId?: never } | { holdId: string; orderId?: never };

/** A level as an UPDATE ... RETURNING LEVEL_COUNTS reads it back. */
export type LevelRow = { product_id: string; warehouse_id: string; on_hand: number; reserved: number; low_stock_threshold: number };
export const LEVEL_COUNTS = sql.raw('product_id, warehouse_id, on_hand, reserved, low_stock_threshold');

export function countsOf(row: LevelRow): LevelCounts & { productId: string; warehouseId: string } {
  return {
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    onHand: row.on_hand,
    reserved: row.reserved,
    lowStockThreshold: row.low_stock_threshold,
  };
}

/**
 * How reservations move on: which ones (by status) and what each reserved unit does to the level,
 * per unit (-1, 0 or +1).
 */
export interface ReservationMove {
  from: ReservationStatus;
  to: ReservationStatus;
  reason: MovementReason;
  event: StockMoveType;
  onHand: -1 | 0 | 1;
  reserved: -1 | 0;
}

export const RELEASE: ReservationMove = { from: 'active', to: 'released', reason: 'release', event: 'inventory.released', onHand: 0, reserved: -1 };
export const EXPIRE: ReservationMove = { from: 'active', to: 'expired', reason: 'expiry', event: 'inventory.released', onHand: 0, reserved: -1 };
export const COMMIT: ReservationMove = { from: 'active', to: 'committed', reason: 'commit', event: 'inventory.committed', onHand: -1, reserved: -1 };
export const RESTOCK: ReservationMove = { from: 'committed', to: 'released', reason: 'restock', event: 'inventory.restocked', onHand: 1, reserved: 0 };

export function insufficientInventory(items: ShortItem[]): DomainError {
  const names = items.map((i) => `${i.productId} in ${i.warehouseId ?? 'any warehouse'}`).join(', ');
  return new DomainError('INSUFFICIENT_INVENTORY', `not enough stock available for ${names}`, { items });
}

/** Prices each line from the catalog; every product and named warehouse must exist and be active. */
export async function priceFromCatalog(db: Db, items: OrderLineRequest[]): Promise<Quote> {
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
 * transaction takes its locks in. With `heldBy`, that order's active holds count as available.
 */
export async function candidateLevels(
  db: Queryable,
  lines: readonly OrderLineRequest[],
  { lock, heldBy }: { lock: boolean; heldBy?: string },
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
    SELECT l.product_id, l.warehouse_id, w.priority, w.active,
      (l.on_hand - l.reserved ${heldBy === undefined ? sql`` : sql`+ coalesce((
        SELECT sum(r.quantity) FROM stock_reservations r
        WHERE r.order_id = ${heldBy} AND r.status = 'active'
          AND r.product_id = l.product_id AND r.warehouse_id = l.warehouse_id), 0)`})::int AS available
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

/** What reserveLevels held: the lines with their warehouses, and the stock events still to append. */
export interface HeldLevels {
  lines: AllocatedLine[];
  demand: StockLine[];
  stockEvents: NewEvent[];
}

/**
 * Reserves the lines for their owner inside the caller's transaction: allocates lines without a
 * warehouse, raises each level's `reserved`, writes the reservation and ledger rows. Fails with
 * INSUFFICIENT_INVENTORY (rolling the caller's transaction back) when anything is short. The
 * stock events are returned for the caller to append after its own, in one batch.
 */
export async function reserveLevels(
  tx: Tx,
  priced: readonly PricedLine[],
  owner: StockOwner,
  expiresAt: Date,
): Promise<HeldLevels> {
  // Every level the lines could touch is locked before anything is decided, in the one lock
  // order all transactions share (product id, warehouse id), so the allocation below sees
  // numbers nobody can change under it, and two carts holding the same SKUs in opposite line
  // order wait for each other instead of deadlocking.
  const allocation = allocateLines(priced, await candidateLevels(tx, priced, { lock: true }));
  if (!allocation.ok) throw toApplicationFailure(insufficientInventory(allocation.short)); // rolls back everything
  const lines = allocation.lines;
  const demand = aggregateDemand(lines.map(({ productId, warehouseId, quantity }) => ({ productId, warehouseId, quantity })));

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
          ...ownerColumns(owner),
        },
        correlationId,
      ),
    );
  }
  // Sent together (postgres.js pipelines a transaction's statements): the levels stay locked
  // until commit, and every round trip while they are is one more a hot SKU's buyers queue for.
  await Promise.all([
    tx.insert(stockReservations).values(demand.map((line) => ({ ...ownerColumns(owner), ...line, status: 'active', expiresAt }))),
    tx.insert(inventoryMovements).values(
      demand.map((line) => ({
        ...line,
        deltaOnHand: 0,
        deltaReserved: line.quantity,
        reason: 'reservation' satisfies MovementReason,
        ...ownerColumns(owner),
      })),
    ),
  ]);
  return { lines, demand, stockEvents };
}

/**
 * Moves every reservation of an owner in one status on to the next, inside the caller's
 * transaction. The reservation rows are locked first, so a concurrent duplicate waits and then
 * finds nothing left in the starting status: moving twice is a no-op. A hold's own reservations
 * are those no order has adopted. Returns how many units moved.
 */
export async function moveReservations(tx: Tx, owner: StockOwner, move: ReservationMove): Promise<number> {
  const ofOwner = and(
    owner.orderId !== undefined
      ? eq(stockReservations.orderId, owner.orderId)
      : and(eq(stockReservations.holdId, owner.holdId), isNull(stockReservations.orderId)),
    eq(stockReservations.status, move.from),
  );
  const reservations = await tx
    .select({
      productId: stockReservations.productId,
      warehouseId: stockReservations.warehouseId,
      quantity: stockReservations.quantity,
    })
    .from(stockReservations)
    .where(ofOwner)
    .orderBy(sql`${stockReservations.productId} COLLATE "C"`, sql`${stockReservations.warehouseId} COLLATE "C"`)
    .for('update');
  if (reservations.length === 0) return 0;

  // Levels in the shared lock order (see reserveLevels); each level's events are written while
  // its row is locked, so its event counter is taken in that same order.
  const correlationId = correlationIdOf();
  for (const line of aggregateDemand(reservations)) {
    const [level] = await tx.execute<LevelRow>(sql`
      UPDATE inventory_levels
      SET on_hand = on_hand + ${move.onHand * line.quantity},
          reserved = reserved + ${move.reserved * line.quantity},
          updated_at = now()
      WHERE product_id = ${line.productId} AND warehouse_id = ${line.warehouseId}
      RETURNING ${LEVEL_COUNTS}`);
    if (!level) throw new Error(`level ${line.productId}/${line.warehouseId} of ${describeOwner(owner)} does not exist`);
    await appendEvents(
      tx,
      levelEvents(
        {
          type: move.event,
          level: countsOf(level),
          deltaOnHand: move.onHand * line.quantity,
          deltaReserved: move.reserved * line.quantity,
          reason: move.reason,
          ...ownerColumns(owner),
        },
        correlationId,
      ),
    );
  }
  await tx.update(stockReservations).set({ status: move.to, updatedAt: sql`now()` }).where(ofOwner);
  await tx.insert(inventoryMovements).values(
    reservations.map((line) => ({
      ...line,
      deltaOnHand: move.onHand * line.quantity,
      deltaReserved: move.reserved * line.quantity,
      reason: move.reason,
      ...ownerColumns(owner),
    })),
  );
  return reservations.reduce((sum, line) => sum + line.quantity, 0);
}

/** The owner as the order_id and hold_id columns (and event fields) record it. */
export function ownerColumns(owner: StockOwner): { orderId: string | null; holdId: string | null } {
  return { orderId: owner.orderId ?? null, holdId: owner.holdId ?? null };
}

function describeOwner(owner: StockOwner): string {
  return owner.orderId !== undefined ? `order ${owner.orderId}` : `stock hold ${owner.holdId}`;
}
