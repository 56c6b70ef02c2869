import { strict as assert } from 'node:assert';
import { ApplicationFailure } from '@temporalio/common';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { createInventoryActivities, type InventoryActivities } from '../../activities/inventory';
import { findInventoryDiscrepancies } from '../../db/audit';
import { openDatabase, type Database, type Db } from '../../db/client';
import { adjustOnHand, setOnHand } from '../../db/inventory-levels';
import { listMovements } from '../../db/movements';
import { inventoryLevels, inventoryMovements, orderItems, orders, stockReservations } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import type { OrderLineRequest } from '../../domain/order';
import { seedProduct, seedStock, seedStockedProduct, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { levelOf as storedLevel } from '../support/inventory-level';
import { expectRefusal } from '../support/refusal';
import { reservationFor, reserveOrder } from '../support/reserved-order';

describe('inventory activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let inventory: InventoryActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url, { max: 20 });
    db = database.db;
    inventory = createInventoryActivities(db);
  });

  after(async function () {
    await database?.close();
  });

  function stocked(onHand: number, price?: number) {
    return seedStockedProduct(db, { onHand, price });
  }

  function levelOf(pair: { productId: string; warehouseId: string }) {
    return storedLevel(db, pair);
  }

  async function reservationsOf(orderId: string) {
    return db
      .select({
        productId: stockReservations.productId,
        warehouseId: stockReservations.warehouseId,
        quantity: stockReservations.quantity,
        status: stockReservations.status,
      })
      .from(stockReservations)
      .where(eq(stockReservations.orderId, orderId))
      .orderBy(stockReservations.productId);
  }

  async function movementsOf(orderId: string) {
    return db
      .select({
        productId: inventoryMovements.productId,
        deltaOnHand: inventoryMovements.deltaOnHand,
        deltaReserved: inventoryMovements.deltaReserved,
        reason: inventoryMovements.reason,
      })
      .from(inventoryMovements)
      .where(eq(inventoryMovements.orderId, orderId))
      .orderBy(inventoryMovements.id);
  }

  async function assertLedgerAgrees() {
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  }

  describe('checkAvailability', function () {
    it('prices every line from the catalog', async function () {
      const mug = await stocked(10, 1250);
      const cup = await stocked(10, 399);
      const quote = await inventory.checkAvailability([
        { ...mug, quantity: 2 },
        { ...cup, quantity: 3 },
      ]);
      assert.deepEqual(quote, {
        lines: [
          { ...mug, quantity: 2, unitPrice: 1250, lineTotal: 2500 },
          { ...cup, quantity: 3, unitPrice: 399, lineTotal: 1197 },
        ],
        subtotal: 3697,
        discount: 0,
        total: 3697,
        currency: 'USD',
      });
    });

    it('refuses unknown and inactive products, naming each of them', async function () {
      const known = await stocked(10);
      const inactive = await seedProduct(db, { active: false });
      const failure = await expectRefusal(
        inventory.checkAvailability([
          { ...known, quantity: 1 },
          { productId: 'no-such-sku', warehouseId: known.warehouseId, quantity: 1 },
          { productId: inactive.id, warehouseId: known.warehouseId, quantity: 1 },
        ]),
        'UNKNOWN_PRODUCT',
      );
      assert.deepEqual(failure.details?.[0], { productIds: ['no-such-sku', inactive.id] });
    });

    it('refuses unknown and inactive warehouses, naming each of them', async function () {
      const known = await stocked(10);
      const closed = await seedWarehouse(db, { active: false });
      const failure = await expectRefusal(
        inventory.checkAvailability([
          { ...known, quantity: 1 },
          { productId: known.productId, warehouseId: closed.id, quantity: 1 },
          { productId: known.productId, warehouseId: 'wh-nowhere', quantity: 1 },
        ]),
        'UNKNOWN_WAREHOUSE',
      );
      assert.deepEqual(failure.details?.[0], { warehouseIds: [closed.id, 'wh-nowhere'] });
    });

    it('refuses products priced in different currencies', async function () {
      const dollars = await stocked(10);
      const euros = await seedProduct(db, { currency: 'EUR' });
      await seedStock(db, { productId: euros.id, warehouseId: dollars.warehouseId, onHand: 10 });
      await expectRefusal(
        inventory.checkAvailability([
          { ...dollars, quantity: 1 },
          { productId: euros.id, warehouseId: dollars.warehouseId, quantity: 1 },
        ]),
        'VALIDATION_ERROR',
      );
    });

    it('checks two lines of the same product together', async function () {
      const pair = await stocked(5);
      const failure = await expectRefusal(
        inventory.checkAvailability([
          { ...pair, quantity: 3 },
          { ...pair, quantity: 3 },
        ]),
        'INSUFFICIENT_INVENTORY',
      );
      assert.deepEqual(failure.details?.[0], { items: [{ ...pair, requested: 6, available: 5 }] });
    });

    it('lists every short item, counting a level that does not exist as 0 available', async function () {
      const plenty = await stocked(10);
      const few = await stocked(1);
      const never = await seedProduct(db);
      const failure = await expectRefusal(
        inventory.checkAvailability([
          { ...plenty, quantity: 2 },
          { ...few, quantity: 3 },
          { productId: never.id, warehouseId: plenty.warehouseId, quantity: 1 },
        ]),
        'INSUFFICIENT_INVENTORY',
      );
      const items = (failure.details?.[0] as { items: unknown[] }).items;
      assert.deepEqual(
        new Set(items.map((i) => JSON.stringify(i))),
        new Set([
          JSON.stringify({ ...few, requested: 3, available: 1 }),
          JSON.stringify({ productId: never.id, warehouseId: plenty.warehouseId, requested: 1, available: 0 }),
        ]),
      );
    });
  });

  describe('reserveStock', function () {
    it('holds the stock and writes the order, its items, the reservations and the ledger together', async function () {
      const pair = await stocked(10, 500);
      const input = await reserveOrder(db, [
        { ...pair, quantity: 2 },
        { ...pair, quantity: 1 },
      ]);

      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 3 });
      const [order] = await db.select().from(orders).where(eq(orders.id, input.orderId));
      assert.equal(order?.status, 'awaiting_payment');
      assert.equal(order?.total, 1500);
      assert.equal(order?.reservationExpiresAt?.toISOString(), input.expiresAt);
      const items = await db
        .select({ lineNo: orderItems.lineNo, quantity: orderItems.quantity, lineTotal: orderItems.lineTotal })
        .from(orderItems)
        .where(eq(orderItems.orderId, input.orderId))
        .orderBy(orderItems.lineNo);
      assert.deepEqual(items, [
        { lineNo: 1, quantity: 2, lineTotal: 1000 },
        { lineNo: 2, quantity: 1, lineTotal: 500 },
      ]);
      assert.deepEqual(await reservationsOf(input.orderId), [{ ...pair, quantity: 3, status: 'active' }]);
      assert.deepEqual(await movementsOf(input.orderId), [
        { productId: pair.productId, deltaOnHand: 0, deltaReserved: 3, reason: 'reservation' },
      ]);
      await assertLedgerAgrees();
    });

    it('changes nothing when the same order is reserved again', async function () {
      const pair = await stocked(10);
      const quote = await inventory.checkAvailability([{ ...pair, quantity: 4 }]);
      const input = reservationFor(quote);
      const first = await inventory.reserveStock(input);
      const before = {
        level: await levelOf(pair),
        reservations: await reservationsOf(input.orderId),
        movements: await movementsOf(input.orderId),
      };

      const again = await inventory.reserveStock(input);

      assert.deepEqual(again, first);
      assert.deepEqual(
        {
          level: await levelOf(pair),
          reservations: await reservationsOf(input.orderId),
          movements: await movementsOf(input.orderId),
        },
        before,
      );
      assert.deepEqual(before.level, { onHand: 10, reserved: 4 });
    });

    it('reserves once when duplicates of one order run at the same time', async function () {
      const pair = await stocked(10);
      const input = reservationFor(await inventory.checkAvailability([{ ...pair, quantity: 2 }]));

      const results = await Promise.all(Array.from({ length: 8 }, () => inventory.reserveStock(input)));

      assert.equal(new Set(results.map((r) => JSON.stringify(r))).size, 1);
      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 2 });
      assert.equal((await reservationsOf(input.orderId)).length, 1);
      assert.equal((await movementsOf(input.orderId)).length, 1);
    });

    it('checks two lines of the same product together', async function () {
      const pair = await stocked(10);
      const quote = await inventory.checkAvailability([
        { ...pair, quantity: 3 },
        { ...pair, quantity: 3 },
      ]);
      await setOnHand(db, { ...pair, onHand: 5 }); // sold elsewhere between quote and reservation
      const input = reservationFor(quote);

      const failure = await expectRefusal(inventory.reserveStock(input), 'INSUFFICIENT_INVENTORY');

      assert.deepEqual(failure.details?.[0], { items: [{ ...pair, requested: 6, available: 5 }] });
      assert.deepEqual(await levelOf(pair), { onHand: 5, reserved: 0 });
    });

    it('aborts the whole order when one line is short, listing every short item', async function () {
      const plenty = await stocked(10);
      const few = await stocked(3);
      const gone = await stocked(2);
      const quote = await inventory.checkAvailability([
        { ...plenty, quantity: 2 },
        { ...few, quantity: 3 },
        { ...gone, quantity: 2 },
      ]);
      await setOnHand(db, { ...few, onHand: 1 });
      await setOnHand(db, { ...gone, onHand: 0 });
      const input = reservationFor(quote);

      const failure = await expectRefusal(inventory.reserveStock(input), 'INSUFFICIENT_INVENTORY');

      const items = (failure.details?.[0] as { items: unknown[] }).items;
      assert.deepEqual(
        new Set(items.map((i) => JSON.stringify(i))),
        new Set([
          JSON.stringify({ ...few, requested: 3, available: 1 }),
          JSON.stringify({ ...gone, requested: 2, available: 0 }),
        ]),
      );
      assert.deepEqual(await levelOf(plenty), { onHand: 10, reserved: 0 });
      assert.equal((await db.select().from(orders).where(eq(orders.id, input.orderId))).length, 0);
      assert.deepEqual(await reservationsOf(input.orderId), []);
      assert.deepEqual(await movementsOf(input.orderId), []);
      await assertLedgerAgrees();
    });

    it('never reserves more than is on hand when 200 orders race for 50 units', async function () {
      const pair = await stocked(50);
      const quote = await inventory.checkAvailability([{ ...pair, quantity: 1 }]);

      const outcomes = await Promise.allSettled(
        Array.from({ length: 200 }, () => inventory.reserveStock(reservationFor(quote))),
      );

      const refused = outcomes.filter((o) => o.status === 'rejected');
      assert.equal(outcomes.length - refused.length, 50);
      assert.equal(refused.length, 150);
      for (const outcome of refused) {
        const reason = (outcome as PromiseRejectedResult).reason;
        assert.ok(reason instanceof ApplicationFailure && reason.type === 'INSUFFICIENT_INVENTORY', String(reason));
      }
      assert.deepEqual(await levelOf(pair), { onHand: 50, reserved: 50 });
      const [held] = await db
        .select({ count: sql<number>`count(*)::int` })
        .from(stockReservations)
        .where(and(eq(stockReservations.productId, pair.productId), eq(stockReservations.status, 'active')));
      assert.equal(held?.count, 50);
      await assertLedgerAgrees();
    });

    it('never deadlocks when carts hold the same products in opposite line order', async function () {
      const warehouse = await seedWarehouse(db);
      const [a, b] = await Promise.all([seedProduct(db), seedProduct(db)]);
      for (const product of [a!, b!]) {
        await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand: 1000 });
      }
      const lineOf = (productId: string): OrderLineRequest => ({ productId, warehouseId: warehouse.id, quantity: 1 });
      const forwards = await inventory.checkAvailability([lineOf(a!.id), lineOf(b!.id)]);
      const backwards = await inventory.checkAvailability([lineOf(b!.id), lineOf(a!.id)]);

      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) => inventory.reserveStock(reservationFor(i % 2 ? forwards : backwards))),
      );

      assert.deepEqual(
        outcomes.filter((o) => o.status === 'rejected').map((o) => String((o as PromiseRejectedResult).reason)),
        [],
      );
      for (const product of [a!, b!]) {
        assert.deepEqual(await levelOf({ productId: product.id, warehouseId: warehouse.id }), {
          onHand: 1000,
          reserved: 60,
        });
      }
    });
  });

  describe('releaseStock and commitStock', function () {
    it('gives the holds back once, however often release runs', async function () {
      const pair = await stocked(10);
      const other = await stocked(10);
      const { orderId } = await reserveOrder(db, [
        { ...pair, quantity: 4 },
        { ...other, quantity: 1 },
      ]);

      await inventory.releaseStock(orderId, 'cancelled');
      await inventory.releaseStock(orderId, 'cancelled');

      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 0 });
      assert.deepEqual(await levelOf(other), { onHand: 10, reserved: 0 });
      assert.deepEqual(
        (await reservationsOf(orderId)).map((r) => r.status),
        ['released', 'released'],
      );
      const releases = (await movementsOf(orderId)).filter((m) => m.reason === 'release');
      assert.deepEqual(
        releases.map((m) => m.deltaReserved).sort(),
        [-1, -4],
      );
      await assertLedgerAgrees();
    });

    it('marks the holds expired when the reservation timed out', async function () {
      const pair = await stocked(10);
      const { orderId } = await reserveOrder(db, [{ ...pair, quantity: 2 }]);

      await inventory.releaseStock(orderId, 'expired');

      assert.deepEqual(await reservationsOf(orderId), [{ ...pair, quantity: 2, status: 'expired' }]);
      assert.deepEqual((await movementsOf(orderId)).at(-1), {
        productId: pair.productId,
        deltaOnHand: 0,
        deltaReserved: -2,
        reason: 'expiry',
      });
      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 0 });
    });

    it('deducts committed stock once, and a later release changes nothing', async function () {
      const pair = await stocked(10);
      const { orderId } = await reserveOrder(db, [{ ...pair, quantity: 3 }]);

      await inventory.commitStock(orderId);
      await inventory.commitStock(orderId);
      await inventory.releaseStock(orderId, 'compensation');

      assert.deepEqual(await levelOf(pair), { onHand: 7, reserved: 0 });
      assert.deepEqual(await reservationsOf(orderId), [{ ...pair, quantity: 3, status: 'committed' }]);
      assert.deepEqual(await movementsOf(orderId), [
        { productId: pair.productId, deltaOnHand: 0, deltaReserved: 3, reason: 'reservation' },
        { productId: pair.productId, deltaOnHand: -3, deltaReserved: -3, reason: 'commit' },
      ]);
      await assertLedgerAgrees();
    });

    it('lets exactly one of a racing commit and release end the holds', async function () {
      const pair = await stocked(10);
      const orderIds = await Promise.all(
        Array.from({ length: 10 }, async () => (await reserveOrder(db, [{ ...pair, quantity: 1 }])).orderId),
      );

      await Promise.all(
        orderIds.flatMap((orderId) => [inventory.commitStock(orderId), inventory.releaseStock(orderId, 'cancelled')]),
      );

      const ends = await db
        .select({ reason: inventoryMovements.reason })
        .from(inventoryMovements)
        .where(and(inArray(inventoryMovements.orderId, orderIds), inArray(inventoryMovements.reason, ['commit', 'release'])));
      assert.equal(ends.length, 10);
      const committed = ends.filter((m) => m.reason === 'commit').length;
      assert.deepEqual(await levelOf(pair), { onHand: 10 - committed, reserved: 0 });
      await assertLedgerAgrees();
    });
  });

  describe('restockStock', function () {
    it('puts committed stock back on hand once, however often it runs, even concurrently', async function () {
      const pair = await stocked(10);
      const other = await stocked(5);
      const { orderId } = await reserveOrder(db, [
        { ...pair, quantity: 3 },
        { ...other, quantity: 2 },
      ]);
      await inventory.commitStock(orderId);

      await Promise.all([inventory.restockStock(orderId), inventory.restockStock(orderId)]);
      await inventory.restockStock(orderId);

      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 0 });
      assert.deepEqual(await levelOf(other), { onHand: 5, reserved: 0 });
      assert.deepEqual(
        (await reservationsOf(orderId)).map((r) => r.status),
        ['released', 'released'],
      );
      const restocks = (await movementsOf(orderId)).filter((m) => m.reason === 'restock');
      assert.deepEqual(
        restocks.map((m) => [m.deltaOnHand, m.deltaReserved]).sort(),
        [
          [2, 0],
          [3, 0],
        ],
      );
      await assertLedgerAgrees();
    });

    it('changes nothing for an order whose stock is still only held', async function () {
      const pair = await stocked(10);
      const { orderId } = await reserveOrder(db, [{ ...pair, quantity: 4 }]);

      await inventory.restockStock(orderId);

      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 4 });
      assert.deepEqual((await reservationsOf(orderId)).map((r) => r.status), ['active']);
    });
  });

  describe('adjustOnHand and listMovements', function () {
    it('moves on hand by the delta and records an adjustment with the reason', async function () {
      const pair = await stocked(10);

      const level = await adjustOnHand(db, { ...pair, delta: -3, reason: 'damaged' });
      await adjustOnHand(db, { ...pair, delta: 5, reason: 'found a carton' });

      assert.deepEqual({ onHand: level.onHand, reserved: level.reserved }, { onHand: 7, reserved: 0 });
      assert.deepEqual(await levelOf(pair), { onHand: 12, reserved: 0 });
      const { items, total } = await listMovements(db, { ...pair, page: 1, limit: 10 });
      assert.equal(total, 3);
      assert.deepEqual(
        items.map(({ deltaOnHand, deltaReserved, reason, note, orderId }) => ({ deltaOnHand, deltaReserved, reason, note, orderId })),
        [
          { deltaOnHand: 5, deltaReserved: 0, reason: 'adjustment', note: 'found a carton', orderId: null },
          { deltaOnHand: -3, deltaReserved: 0, reason: 'adjustment', note: 'damaged', orderId: null },
          { deltaOnHand: 10, deltaReserved: 0, reason: 'stock_set', note: null, orderId: null },
        ],
      );
      assert.ok(items.every((m) => m.at instanceof Date));
      await assertLedgerAgrees();
    });

    it('refuses to take on hand below what is reserved and changes nothing', async function () {
      const pair = await stocked(10);
      await reserveOrder(db, [{ ...pair, quantity: 8 }]);

      const refused = await adjustOnHand(db, { ...pair, delta: -3, reason: 'damaged' }).then(
        () => assert.fail('expected STOCK_BELOW_RESERVED'),
        (err: unknown) => err,
      );

      assert.ok(refused instanceof DomainError);
      assert.equal(refused.code, 'STOCK_BELOW_RESERVED');
      assert.deepEqual(refused.details, { onHand: 10, reserved: 8, delta: -3 });
      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 8 });
      assert.equal((await listMovements(db, { ...pair, page: 1, limit: 10 })).total, 2);
      await adjustOnHand(db, { ...pair, delta: -2, reason: 'damaged' }); // exactly down to reserved is fine
      assert.deepEqual(await levelOf(pair), { onHand: 8, reserved: 8 });
    });

    it('refuses a zero delta and an unknown product or warehouse', async function () {
      const pair = await stocked(10);
      for (const [input, code] of [
        [{ ...pair, delta: 0 }, 'VALIDATION_ERROR'],
        [{ ...pair, delta: 1.5 }, 'VALIDATION_ERROR'],
        [{ ...pair, productId: 'no-such-sku', delta: 1 }, 'NOT_FOUND'],
        [{ ...pair, warehouseId: 'wh-nowhere', delta: 1 }, 'NOT_FOUND'],
      ] as const) {
        await assert.rejects(adjustOnHand(db, { ...input, reason: 'test' }), (err: unknown) => {
          assert.ok(err instanceof DomainError);
          assert.equal(err.code, code);
          return true;
        });
      }
      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 0 });
    });

    it('pages the ledger newest first with the total count', async function () {
      const pair = await stocked(100);
      for (let i = 1; i <= 4; i++) await adjustOnHand(db, { ...pair, delta: -i, reason: `count ${i}` });

      const first = await listMovements(db, { ...pair, page: 1, limit: 2 });
      const last = await listMovements(db, { ...pair, page: 3, limit: 2 });
      const beyond = await listMovements(db, { ...pair, page: 4, limit: 2 });

      assert.deepEqual(first.items.map((m) => m.note), ['count 4', 'count 3']);
      assert.deepEqual(last.items.map((m) => m.reason), ['stock_set']);
      assert.deepEqual(beyond, { items: [], total: 5 });
      assert.equal(first.total, 5);
      assert.deepEqual(await listMovements(db, { productId: 'no-such-sku', warehouseId: pair.warehouseId, page: 1, limit: 2 }), {
        items: [],
        total: 0,
      });
    });
  });

  describe('setOnHand and the ledger audit', function () {
    it('creates a level and records the count in the ledger', async function () {
      const product = await seedProduct(db);
      const warehouse = await seedWarehouse(db);
      const pair = { productId: product.id, warehouseId: warehouse.id };

      const created = await setOnHand(db, { ...pair, onHand: 12, lowStockThreshold: 3 });
      const recounted = await setOnHand(db, { ...pair, onHand: 9 });

      assert.equal(created.lowStockThreshold, 3);
      assert.deepEqual(
        { onHand: recounted.onHand, reserved: recounted.reserved, lowStockThreshold: recounted.lowStockThreshold },
        { onHand: 9, reserved: 0, lowStockThreshold: 3 },
      );
      const ledger = await db
        .select({ deltaOnHand: inventoryMovements.deltaOnHand, reason: inventoryMovements.reason })
        .from(inventoryMovements)
        .where(eq(inventoryMovements.productId, product.id))
        .orderBy(inventoryMovements.id);
      assert.deepEqual(ledger, [
        { deltaOnHand: 12, reason: 'stock_set' },
        { deltaOnHand: -3, reason: 'stock_set' },
      ]);
      await assertLedgerAgrees();
    });

    it('refuses to set on hand below what is reserved and changes nothing', async function () {
      const pair = await stocked(10);
      await reserveOrder(db, [{ ...pair, quantity: 6 }]);

      const refused = await setOnHand(db, { ...pair, onHand: 5 }).then(
        () => assert.fail('expected STOCK_BELOW_RESERVED'),
        (err: unknown) => err,
      );

      assert.ok(refused instanceof DomainError);
      assert.equal(refused.code, 'STOCK_BELOW_RESERVED');
      assert.deepEqual(refused.details, { reserved: 6 });
      assert.deepEqual(await levelOf(pair), { onHand: 10, reserved: 6 });
    });

    it('reports a level changed behind the ledger', async function () {
      const pair = await stocked(10);
      const atPair = and(eq(inventoryLevels.productId, pair.productId), eq(inventoryLevels.warehouseId, pair.warehouseId));
      await db.update(inventoryLevels).set({ onHand: 11, reserved: 1 }).where(atPair);
      try {
        assert.deepEqual(await findInventoryDiscrepancies(db), [
          { ...pair, onHand: 11, reserved: 1, ledgerOnHand: 10, ledgerReserved: 0, activelyReserved: 0 },
        ]);
      } finally {
        await db.update(inventoryLevels).set({ onHand: 10, reserved: 0 }).where(atPair);
      }
    });
  });
});
