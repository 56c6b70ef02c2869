/**
 * Stock holds: what a StockHoldWorkflow does to the database, and the one call an order saga
 * makes to adopt a hold. The stock side is the orders' own (stock-reservations.ts): the same
 * levels, lock order, reservation rows, ledger and events, with the hold as the owner.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../db/client';
import { appendEvents } from '../db/outbox';
import { inventoryMovements, stockHolds, stockReservations } from '../db/schema';
import { DomainError } from '../domain/errors';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import { holdMismatch, holdWorkflowIdFor, linesFromHold, type HoldEnd, type HoldStatus } from '../domain/holds';
import type { OrderLineRequest } from '../domain/order';
import { aggregateDemand, type StockLine } from '../domain/stock';
import { holdConvertedEvent } from '../domain/stock-events';
import { adoptHoldUpdate } from '../workflows/stock-hold-messages';
import { correlationIdOf } from './correlation';
import { existingReservation, insertOrderRow, writeOrderLines, type ReservedOrder, type ReserveStockInput } from './inventory';
import {
  countsOf,
  EXPIRE,
  LEVEL_COUNTS,
  moveReservations,
  priceFromCatalog,
  RELEASE,
  reserveLevels,
  type LevelRow,
  type Tx,
} from './stock-reservations';

export interface ReserveHoldInput {
  holdId: string;
  customerId: string;
  items: OrderLineRequest[];
  /** ISO times, from the workflow clock: when the hold lapses, and the latest any extension may take it. */
  expiresAt: string;
  maxExpiresAt: string;
  metadata: Record<string, unknown>;
}

export interface HeldStock {
  holdId: string;
  expiresAt: string;
  /** What is held, per (product, warehouse), in the shared lock order. */
  lines: StockLine[];
}

export function createHoldActivities(db: Db) {
  return {
    /**
     * Validates and allocates the items (as orders are allocated), raises the levels and writes the
     * hold with its reservation rows, ledger rows and `inventory.reserved` events, in one
     * transaction; INSUFFICIENT_INVENTORY rolls it all back. Idempotent per hold id.
     */
    async reserveHold(input: ReserveHoldInput): Promise<HeldStock> {
      const quote = await priceFromCatalog(db, input.items);
      const expiresAt = new Date(input.expiresAt);
      return db.transaction(async (tx) => {
        // The hold row first, like an order's: a duplicate waits on its key, then finds it.
        const created = await tx
          .insert(stockHolds)
          .values({
            id: input.holdId,
            customerId: input.customerId,
            status: 'active',
            expiresAt,
            maxExpiresAt: new Date(input.maxExpiresAt),
            metadata: input.metadata,
          })
          .onConflictDoNothing({ target: stockHolds.id })
          .returning({ id: stockHolds.id });
        if (created.length === 0) return existingHold(tx, input.holdId);
        const { demand, stockEvents } = await reserveLevels(tx, quote.lines, { holdId: input.holdId }, expiresAt);
        await appendEvents(tx, stockEvents);
        return { holdId: input.holdId, expiresAt: expiresAt.toISOString(), lines: demand };
      });
    },

    /**
     * Gives an active hold's units back (`inventory.released`, ledger reason release or expiry) and
     * marks it released or expired. A no-op for a hold that is not active, or was never written.
     */
    async releaseHold(holdId: string, end: HoldEnd): Promise<void> {
      await db.transaction(async (tx) => {
        if ((await lockHold(tx, holdId))?.status !== 'active') return;
        await moveReservations(tx, { holdId }, end === 'expired' ? EXPIRE : RELEASE);
        await tx.update(stockHolds).set({ status: end, updatedAt: sql`now()` }).where(eq(stockHolds.id, holdId));
      });
    },

    /** Moves an active hold's expiry (and its reservations') out; repeating it changes nothing more. */
    async extendHold(holdId: string, expiresAt: string, extensions: number): Promise<void> {
      const at = new Date(expiresAt);
      await db.transaction(async (tx) => {
        if ((await lockHold(tx, holdId))?.status !== 'active') {
          throw toApplicationFailure(new DomainError('HOLD_NOT_ACTIVE', `stock hold ${holdId} is no longer active`));
        }
        await tx.update(stockHolds).set({ expiresAt: at, extensions, updatedAt: sql`now()` }).where(eq(stockHolds.id, holdId));
        await tx
          .update(stockReservations)
          .set({ expiresAt: at, updatedAt: sql`now()` })
          .where(and(eq(stockReservations.holdId, holdId), isNull(stockReservations.orderId), eq(stockReservations.status, 'active')));
      });
    },

    /**
     * Places an order on an active hold's units, in one transaction: the order row and items, the
     * hold's very reservation rows handed to the order (reserved never drops, so nobody can take
     * the units in between), the hold `converted`, a `conversion` ledger row and an
     * `inventory.hold_converted` event per level, and `order.created`. HOLD_NOT_ACTIVE for a hold
     * that is not active, HOLD_MISMATCH for other items or another customer. Idempotent per order.
     */
    async convertHold(holdId: string, order: ReserveStockInput): Promise<ReservedOrder> {
      const { orderId } = order;
      const expiresAt = new Date(order.expiresAt);
      return db.transaction(async (tx) => {
        if (!(await insertOrderRow(tx, order, expiresAt))) return existingReservation(tx, orderId);
        const hold = await lockHold(tx, holdId);
        if (hold?.status !== 'active') {
          throw toApplicationFailure(
            new DomainError('HOLD_NOT_ACTIVE', `stock hold ${holdId} is ${hold?.status ?? 'unknown'}, not active`, { reservationId: holdId }),
          );
        }
        const held = await tx
          .select({
            productId: stockReservations.productId,
            warehouseId: stockReservations.warehouseId,
            quantity: stockReservations.quantity,
          })
          .from(stockReservations)
          .where(and(eq(stockReservations.holdId, holdId), isNull(stockReservations.orderId), eq(stockReservations.status, 'active')))
          .for('update');
        const mismatch =
          hold.customerId !== order.customerId
            ? `the hold belongs to another customer than ${order.customerId}`
            : holdMismatch(held, order.quote.lines);
        if (mismatch) throw toApplicationFailure(new DomainError('HOLD_MISMATCH', mismatch, { reservationId: holdId }));

        const correlationId = correlationIdOf();
        const converted = [];
        for (const line of aggregateDemand(held)) {
          // Locked in the shared order, so each level's event counter is taken as everywhere else.
          const [level] = await tx.execute<LevelRow>(sql`
            SELECT ${LEVEL_COUNTS} FROM inventory_levels
            WHERE product_id = ${line.productId} AND warehouse_id = ${line.warehouseId}
            FOR UPDATE`);
          if (!level) throw new Error(`level ${line.productId}/${line.warehouseId} of stock hold ${holdId} does not exist`);
          converted.push(holdConvertedEvent({ level: countsOf(level), holdId, orderId, quantity: line.quantity }, correlationId));
        }
        await tx
          .update(stockReservations)
          .set({ orderId, expiresAt, updatedAt: sql`now()` })
          .where(and(eq(stockReservations.holdId, holdId), isNull(stockReservations.orderId), eq(stockReservations.status, 'active')));
        await tx
          .update(stockHolds)
          .set({ status: 'converted', convertedOrderId: orderId, updatedAt: sql`now()` })
          .where(eq(stockHolds.id, holdId));
        await tx
          .insert(inventoryMovements)
          .values(held.map((line) => ({ ...line, deltaOnHand: 0, deltaReserved: 0, reason: 'conversion', orderId, holdId })));
        const lines = linesFromHold(held, order.quote.lines);
        await writeOrderLines(tx, order, lines, converted);
        return { orderId, expiresAt: expiresAt.toISOString(), lines };
      });
    },

    /**
     * For the order saga: places the order on the hold through the hold's own workflow (its `adopt`
     * update), so adopting is serialised with the hold's release, extension and expiry. A repeat
     * (a retried activity) reaches the same update; once the hold's workflow has finished, the
     * database says whether this order converted it (the same answer again) or it ended otherwise
     * (HOLD_NOT_ACTIVE). Refusals are HOLD_NOT_ACTIVE and HOLD_MISMATCH.
     */
    async adoptHold(holdId: string, order: ReserveStockInput): Promise<ReservedOrder> {
      const handle = Context.current().client.workflow.getHandle(holdWorkflowIdFor(holdId));
      try {
        return await handle.executeUpdate(adoptHoldUpdate, { args: [order], updateId: `adopt:${order.orderId}` });
      } catch (err) {
        // The hold's refusal (HOLD_NOT_ACTIVE, HOLD_MISMATCH) arrives wrapped in the update's
        // failure: passed on as the order's refusal, not retried.
        const refused = fromTemporalFailure(err);
        if (refused) throw toApplicationFailure(refused);
        if (!(err instanceof WorkflowNotFoundError)) throw err;
      }
      const [hold] = await db
        .select({ status: stockHolds.status, convertedOrderId: stockHolds.convertedOrderId })
        .from(stockHolds)
        .where(eq(stockHolds.id, holdId));
      if (hold?.convertedOrderId === order.orderId) return existingReservation(db, order.orderId);
      throw toApplicationFailure(
        new DomainError('HOLD_NOT_ACTIVE', `stock hold ${holdId} is ${hold?.status ?? 'unknown'}, not active`, { reservationId: holdId }),
      );
    },
  };
}

export type HoldActivities = ReturnType<typeof createHoldActivities>;

/** The hold row, locked for this transaction; undefined when there is none. */
async function lockHold(tx: Tx, holdId: string): Promise<{ status: HoldStatus; customerId: string } | undefined> {
  const [hold] = await tx
    .select({ status: stockHolds.status, customerId: stockHolds.customerId })
    .from(stockHolds)
    .where(eq(stockHolds.id, holdId))
    .for('update');
  return hold && { status: hold.status as HoldStatus, customerId: hold.customerId };
}

/** The answer a repeated reserveHold gives: the hold as first made. */
async function existingHold(tx: Tx, holdId: string): Promise<HeldStock> {
  const [hold] = await tx.select({ expiresAt: stockHolds.expiresAt }).from(stockHolds).where(eq(stockHolds.id, holdId));
  if (!hold) throw new Error(`stock hold ${holdId} vanished after its insert conflicted`);
  const lines = await tx
    .select({ productId: stockReservations.productId, warehouseId: stockReservations.warehouseId, quantity: stockReservations.quantity })
    .from(stockReservations)
    .where(eq(stockReservations.holdId, holdId));
  return { holdId, expiresAt: hold.expiresAt.toISOString(), lines: aggregateDemand(lines) };
}
