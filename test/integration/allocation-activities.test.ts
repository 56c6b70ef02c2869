import { strict as assert } from 'node:assert';
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { createDeliveryActivities } from '../../activities/delivery';
import { createInventoryActivities, type InventoryActivities } from '../../activities/inventory';
import { findInventoryDiscrepancies } from '../../db/audit';
import { openDatabase, type Database, type Db } from '../../db/client';
import { setOnHand } from '../../db/inventory-levels';
import { deliveryOrders, orderItems, stockReservations } from '../../db/schema';
import type { OrderLineRequest } from '../../domain/order';
import { seedProduct, seedStock, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { levelOf as storedLevel } from '../support/inventory-level';
import { expectRefusal } from '../support/refusal';
import { reservationFor } from '../support/reserved-order';

describe('warehouse allocation in checkAvailability and reserveStock (real PostgreSQL)', function () {
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

  /** A product stocked in fresh warehouses: `[priority, onHand]` each, named near/mid/far by list position. */
  async function stockedIn(levels: Array<[priority: number, onHand: number]>, price = 1000) {
    const product = await seedProduct(db, { price });
    const run = randomBytes(3).toString('hex');
    const warehouseIds: string[] = [];
    for (const [index, [priority, onHand]] of levels.entries()) {
      const warehouse = await seedWarehouse(db, { id: `wh-${run}-${index}`, priority });
      await seedStock(db, { productId: product.id, warehouseId: warehouse.id, onHand });
      warehouseIds.push(warehouse.id);
    }
    return { productId: product.id, warehouseIds };
  }

  function levelOf(productId: string, warehouseId: string) {
    return storedLevel(db, { productId, warehouseId });
  }

  function anywhere(productId: string, quantity: number): OrderLineRequest {
    return { productId, warehouseId: null, quantity };
  }

  it('holds a line in the warehouse that comes first by priority', async function () {
    const { productId, warehouseIds } = await stockedIn([
      [50, 10],
      [10, 10],
    ]);
    const input = reservationFor(await inventory.checkAvailability([anywhere(productId, 3)]));

    const reserved = await inventory.reserveStock(input);

    assert.deepEqual(reserved.lines, [{ productId, warehouseId: warehouseIds[1], quantity: 3, unitPrice: 1000, lineTotal: 3000 }]);
    assert.deepEqual(await levelOf(productId, warehouseIds[1]!), { onHand: 10, reserved: 3 });
    assert.deepEqual(await levelOf(productId, warehouseIds[0]!), { onHand: 10, reserved: 0 });
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('splits a line across warehouses when the first cannot cover it, one item and one delivery order per warehouse', async function () {
    const { productId, warehouseIds } = await stockedIn([
      [10, 2],
      [20, 3],
      [30, 10],
    ]);
    const [first, second, third] = warehouseIds as [string, string, string];
    const input = reservationFor(await inventory.checkAvailability([anywhere(productId, 7)]));

    const reserved = await inventory.reserveStock(input);

    assert.deepEqual(
      reserved.lines.map((l) => [l.warehouseId, l.quantity, l.lineTotal]),
      [
        [first, 2, 2000],
        [second, 3, 3000],
        [third, 2, 2000],
      ],
    );
    const items = await db
      .select({ lineNo: orderItems.lineNo, warehouseId: orderItems.warehouseId, quantity: orderItems.quantity })
      .from(orderItems)
      .where(eq(orderItems.orderId, input.orderId))
      .orderBy(orderItems.lineNo);
    assert.deepEqual(items, [
      { lineNo: 1, warehouseId: first, quantity: 2 },
      { lineNo: 2, warehouseId: second, quantity: 3 },
      { lineNo: 3, warehouseId: third, quantity: 2 },
    ]);
    const holds = await db
      .select({ warehouseId: stockReservations.warehouseId, quantity: stockReservations.quantity })
      .from(stockReservations)
      .where(eq(stockReservations.orderId, input.orderId));
    assert.equal(holds.reduce((sum, h) => sum + h.quantity, 0), 7);
    assert.deepEqual(await levelOf(productId, first), { onHand: 2, reserved: 2 });
    assert.deepEqual(await levelOf(productId, third), { onHand: 10, reserved: 2 });

    await createDeliveryActivities(db).createDeliveryOrders(input.orderId);
    const shipments = await db
      .select({ warehouseId: deliveryOrders.warehouseId })
      .from(deliveryOrders)
      .where(eq(deliveryOrders.orderId, input.orderId));
    assert.deepEqual(shipments.map((s) => s.warehouseId).sort(), [first, second, third].sort());
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('never allocates from an inactive warehouse', async function () {
    const product = await seedProduct(db);
    const closed = await seedWarehouse(db, { priority: 1, active: false });
    const open = await seedWarehouse(db, { priority: 99 });
    await seedStock(db, { productId: product.id, warehouseId: closed.id, onHand: 50 });
    await seedStock(db, { productId: product.id, warehouseId: open.id, onHand: 2 });

    const failure = await expectRefusal(inventory.checkAvailability([anywhere(product.id, 3)]), 'INSUFFICIENT_INVENTORY');
    assert.deepEqual(failure.details?.[0], {
      items: [{ productId: product.id, warehouseId: null, requested: 3, available: 2 }],
    });

    const reserved = await inventory.reserveStock(reservationFor(await inventory.checkAvailability([anywhere(product.id, 2)])));
    assert.deepEqual(reserved.lines.map((l) => l.warehouseId), [open.id]);
  });

  it('refuses at reservation with the sum over warehouses when stock went elsewhere after the quote', async function () {
    const { productId, warehouseIds } = await stockedIn([
      [10, 4],
      [20, 4],
    ]);
    const quote = await inventory.checkAvailability([anywhere(productId, 6)]);
    await setOnHand(db, { productId, warehouseId: warehouseIds[1]!, onHand: 1 });
    const input = reservationFor(quote);

    const failure = await expectRefusal(inventory.reserveStock(input), 'INSUFFICIENT_INVENTORY');

    assert.deepEqual(failure.details?.[0], { items: [{ productId, warehouseId: null, requested: 6, available: 5 }] });
    for (const warehouseId of warehouseIds) assert.equal((await levelOf(productId, warehouseId))?.reserved, 0);
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });

  it('answers a repeated reserveStock with the lines as first allocated, even after stock moved', async function () {
    const { productId, warehouseIds } = await stockedIn([
      [10, 1],
      [20, 5],
    ]);
    const input = reservationFor(await inventory.checkAvailability([anywhere(productId, 3)]));
    const first = await inventory.reserveStock(input);
    await setOnHand(db, { productId, warehouseId: warehouseIds[0]!, onHand: 9 });

    const again = await inventory.reserveStock(input);

    assert.deepEqual(again, first);
    assert.deepEqual(
      first.lines.map((l) => [l.warehouseId, l.quantity]),
      [
        [warehouseIds[0], 1],
        [warehouseIds[1], 2],
      ],
    );
  });

  it('never deadlocks nor oversells when carts without warehouses hold the same products in opposite order', async function () {
    const a = await stockedIn([
      [10, 6],
      [20, 9],
    ]);
    const b = await seedProduct(db);
    for (const warehouseId of a.warehouseIds) await seedStock(db, { productId: b.id, warehouseId, onHand: 15 });
    const forwards = await inventory.checkAvailability([anywhere(a.productId, 1), anywhere(b.id, 1)]);
    const backwards = await inventory.checkAvailability([anywhere(b.id, 1), anywhere(a.productId, 1)]);

    const outcomes = await Promise.allSettled(
      Array.from({ length: 40 }, (_, i) => inventory.reserveStock(reservationFor(i % 2 ? forwards : backwards))),
    );

    const refusals = outcomes.flatMap((o) => (o.status === 'rejected' ? [o.reason as unknown] : []));
    for (const reason of refusals) {
      // A deadlock would surface as a PostgreSQL error (40P01), not as a business refusal.
      assert.ok(reason instanceof ApplicationFailure && reason.type === 'INSUFFICIENT_INVENTORY', String(reason));
    }
    assert.equal(outcomes.length - refusals.length, 15, 'product a has 15 units in all');
    for (const warehouseId of a.warehouseIds) {
      const level = await levelOf(a.productId, warehouseId);
      assert.equal(level?.reserved, level?.onHand, `a in ${warehouseId} fully held, never beyond`);
    }
    const bHeld = await Promise.all(a.warehouseIds.map(async (w) => (await levelOf(b.id, w))?.reserved ?? 0));
    assert.equal(bHeld[0]! + bHeld[1]!, 15);
    assert.deepEqual(bHeld, [15, 0], 'b comes from the first warehouse while it lasts');
    assert.deepEqual(await findInventoryDiscrepancies(db), []);
  });
});
