import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { createHoldActivities, type HoldActivities, type ReserveHoldInput } from '../../activities/holds';
import { createInventoryActivities, type InventoryActivities, type ReserveStockInput } from '../../activities/inventory';
import { findInventoryDiscrepancies } from '../../db/audit';
import { openDatabase, type Database, type Db } from '../../db/client';
import { listMovements } from '../../db/movements';
import { eventOutbox, orderItems, stockHolds, stockReservations } from '../../db/schema';
import type { OrderLineRequest } from '../../domain/order';
import { aggregateDemand } from '../../domain/stock';
import { seedProduct, seedStock, seedStockedProduct, seedWarehouse } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { levelOf as storedLevel } from '../support/inventory-level';
import { expectRefusal } from '../support/refusal';

const HOUR = 60 * 60_000;

describe('stock hold activities (real PostgreSQL)', function () {
  let database: Database;
  let db: Db;
  let holds: HoldActivities;
  let inventory: InventoryActivities;

  before(async function () {
    database = openDatabase((await createTestDatabase()).url, { max: 20 });
    db = database.db;
    holds = createHoldActivities(db);
    inventory = createInventoryActivities(db);
  });

  after(async function () {
    await database?.close();
  });

  afterEach(async function () {
    assert.deepEqual(await findInventoryDiscrepancies(db), [], 'check:inventory found the books out of step');
  });

  function holdInput(items: OrderLineRequest[], fields: Partial<ReserveHoldInput> = {}): ReserveHoldInput {
    const now = Date.now();
    return {
      holdId: randomUUID(),
      customerId: 'alice',
      items,
      expiresAt: new Date(now + 15 * 60_000).toISOString(),
      maxExpiresAt: new Date(now + 2 * HOUR).toISOString(),
      metadata: { cartId: 'cart-1' },
      ...fields,
    };
  }

  async function orderOn(items: OrderLineRequest[], customerId = 'alice'): Promise<ReserveStockInput> {
    const quote = await inventory.priceItems(items);
    return {
      orderId: randomUUID(),
      customerId,
      quote,
      shippingAddress: '1 Main St',
      voucherCode: null,
      requestHash: 'hash',
      expiresAt: new Date(Date.now() + 15 * 60_000).toISOString(),
    };
  }

  async function holdRow(holdId: string) {
    const [row] = await db.select().from(stockHolds).where(eq(stockHolds.id, holdId));
    return row;
  }

  it('holds stock on the levels orders use, with reservation rows, ledger rows and events carrying the hold id', async function () {
    const mug = await seedStockedProduct(db, { onHand: 10 });
    const input = holdInput([{ ...mug, quantity: 3 }]);

    const held = await holds.reserveHold(input);

    assert.deepEqual(held.lines, [{ ...mug, quantity: 3 }]);
    assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 3 });
    const row = await holdRow(input.holdId);
    assert.equal(row?.status, 'active');
    assert.deepEqual(row?.metadata, { cartId: 'cart-1' });
    const [reservation] = await db.select().from(stockReservations).where(eq(stockReservations.holdId, input.holdId));
    assert.deepEqual([reservation?.orderId, reservation?.quantity, reservation?.status], [null, 3, 'active']);
    const { items } = await listMovements(db, { ...mug, page: 1, limit: 10 });
    assert.deepEqual(
      items.map((m) => [m.reason, m.deltaReserved, m.holdId]),
      [['reservation', 3, input.holdId], ['stock_set', 0, null]],
    );
    const events = await db.select().from(eventOutbox).where(eq(eventOutbox.type, 'inventory.reserved'));
    assert.ok(events.some((event) => (event.data as { holdId?: string }).holdId === input.holdId));
  });

  it('allocates lines without a warehouse as orders are allocated, by warehouse priority', async function () {
    const kettle = await seedProduct(db);
    const first = await seedWarehouse(db, { priority: 1 });
    const second = await seedWarehouse(db, { priority: 2 });
    await seedStock(db, { productId: kettle.id, warehouseId: first.id, onHand: 2 });
    await seedStock(db, { productId: kettle.id, warehouseId: second.id, onHand: 5 });

    const held = await holds.reserveHold(holdInput([{ productId: kettle.id, warehouseId: null, quantity: 4 }]));

    // In the shared lock order (product, warehouse), not the order they were taken in.
    assert.deepEqual(
      held.lines,
      aggregateDemand([
        { productId: kettle.id, warehouseId: first.id, quantity: 2 },
        { productId: kettle.id, warehouseId: second.id, quantity: 2 },
      ]),
    );
  });

  it('refuses INSUFFICIENT_INVENTORY with the shortfall, writing nothing', async function () {
    const mug = await seedStockedProduct(db, { onHand: 2 });
    const input = holdInput([{ ...mug, quantity: 3 }]);

    const refusal = await expectRefusal(holds.reserveHold(input), 'INSUFFICIENT_INVENTORY');

    assert.deepEqual(refusal.details?.[0], { items: [{ ...mug, requested: 3, available: 2 }] });
    assert.equal(await holdRow(input.holdId), undefined);
    assert.deepEqual(await storedLevel(db, mug), { onHand: 2, reserved: 0 });
  });

  it('never holds more than is on hand when 20 holds race for 5 units', async function () {
    const mug = await seedStockedProduct(db, { onHand: 5 });
    const outcomes = await Promise.allSettled(
      Array.from({ length: 20 }, () => holds.reserveHold(holdInput([{ ...mug, quantity: 1 }]))),
    );
    assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 5);
    assert.deepEqual(await storedLevel(db, mug), { onHand: 5, reserved: 5 });
  });

  it('answers a repeated reservation with the hold as first made, holding once', async function () {
    const mug = await seedStockedProduct(db, { onHand: 10 });
    const input = holdInput([{ ...mug, quantity: 2 }]);
    const [first, second] = await Promise.all([holds.reserveHold(input), holds.reserveHold(input)]);
    assert.deepEqual(second, first);
    assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 2 });
  });

  it('releases a hold once: a repeated or concurrent release changes nothing more', async function () {
    const mug = await seedStockedProduct(db, { onHand: 10 });
    const input = holdInput([{ ...mug, quantity: 4 }]);
    await holds.reserveHold(input);

    await Promise.all([holds.releaseHold(input.holdId, 'released'), holds.releaseHold(input.holdId, 'expired')]);
    await holds.releaseHold(input.holdId, 'released');

    assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 0 });
    assert.ok(['released', 'expired'].includes((await holdRow(input.holdId))!.status));
    const { items } = await listMovements(db, { ...mug, page: 1, limit: 10 });
    assert.equal(items.filter((m) => m.holdId === input.holdId).length, 2, 'one reservation and one release');
  });

  it('moves an active hold and its reservations to a new expiry; refuses HOLD_NOT_ACTIVE once released', async function () {
    const mug = await seedStockedProduct(db, { onHand: 10 });
    const input = holdInput([{ ...mug, quantity: 1 }]);
    await holds.reserveHold(input);
    const later = new Date(Date.parse(input.expiresAt) + 60_000).toISOString();

    await holds.extendHold(input.holdId, later, 1);

    const row = await holdRow(input.holdId);
    assert.deepEqual([row?.expiresAt.toISOString(), row?.extensions], [later, 1]);
    const [reservation] = await db.select().from(stockReservations).where(eq(stockReservations.holdId, input.holdId));
    assert.equal(reservation?.expiresAt.toISOString(), later);
    await holds.releaseHold(input.holdId, 'released');
    await expectRefusal(holds.extendHold(input.holdId, later, 2), 'HOLD_NOT_ACTIVE');
  });

  describe('convertHold', function () {
    it("hands the hold's own reservation rows to the order in one transaction: reserved never changes", async function () {
      const mug = await seedStockedProduct(db, { onHand: 10, price: 1250 });
      const input = holdInput([{ ...mug, quantity: 3 }]);
      await holds.reserveHold(input);
      const [before] = await db.select().from(stockReservations).where(eq(stockReservations.holdId, input.holdId));
      const order = await orderOn([{ ...mug, warehouseId: null, quantity: 3 }]);

      const reserved = await holds.convertHold(input.holdId, order);

      assert.deepEqual(reserved.lines, [{ ...mug, quantity: 3, unitPrice: 1250, lineTotal: 3750 }]);
      assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 3 });
      const [after] = await db.select().from(stockReservations).where(eq(stockReservations.holdId, input.holdId));
      assert.equal(after?.id, before?.id, 'the same reservation row');
      assert.deepEqual([after?.orderId, after?.status, after?.expiresAt.toISOString()], [order.orderId, 'active', order.expiresAt]);
      const hold = await holdRow(input.holdId);
      assert.deepEqual([hold?.status, hold?.convertedOrderId], ['converted', order.orderId]);
      const items = await db.select().from(orderItems).where(eq(orderItems.orderId, order.orderId));
      assert.deepEqual(items.map((i) => [i.warehouseId, i.quantity]), [[mug.warehouseId, 3]]);
      const { items: ledger } = await listMovements(db, { ...mug, page: 1, limit: 1 });
      assert.deepEqual(
        ledger.map((m) => [m.reason, m.deltaOnHand, m.deltaReserved, m.orderId, m.holdId]),
        [['conversion', 0, 0, order.orderId, input.holdId]],
      );
      const converted = await db.select().from(eventOutbox).where(eq(eventOutbox.type, 'inventory.hold_converted'));
      assert.ok(converted.some((e) => (e.data as { orderId: string }).orderId === order.orderId));

      // From here the order owns the units: releasing the hold gives nothing back, the order's release does.
      await holds.releaseHold(input.holdId, 'released');
      assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 3 });
      await inventory.releaseStock(order.orderId, 'cancelled');
      assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 0 });
    });

    it('is idempotent per order; a second order gets HOLD_NOT_ACTIVE, and two racing orders convert it once', async function () {
      const mug = await seedStockedProduct(db, { onHand: 10 });
      const input = holdInput([{ ...mug, quantity: 2 }]);
      await holds.reserveHold(input);
      const [one, two] = await Promise.all([orderOn([{ ...mug, quantity: 2 }]), orderOn([{ ...mug, quantity: 2 }])]);

      const outcomes = await Promise.allSettled([holds.convertHold(input.holdId, one), holds.convertHold(input.holdId, two)]);

      assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1);
      const winner = (await holdRow(input.holdId))!.convertedOrderId!;
      const winning = winner === one.orderId ? one : two;
      const repeated = await holds.convertHold(input.holdId, winning);
      assert.equal(repeated.orderId, winner);
      await expectRefusal(holds.convertHold(input.holdId, winning === one ? two : one), 'HOLD_NOT_ACTIVE');
      assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: 2 });
      await inventory.releaseStock(winner, 'cancelled');
    });

    it('refuses HOLD_MISMATCH for other quantities, products, warehouses or customers, writing nothing', async function () {
      const mug = await seedStockedProduct(db, { onHand: 10 });
      const cup = await seedStockedProduct(db, { onHand: 10 });
      const input = holdInput([{ ...mug, quantity: 2 }]);
      await holds.reserveHold(input);
      const other = await seedWarehouse(db);
      await seedStock(db, { productId: mug.productId, warehouseId: other.id, onHand: 5 });

      for (const [items, customer] of [
        [[{ ...mug, quantity: 3 }], 'alice'],
        [[{ ...mug, quantity: 2 }, { ...cup, quantity: 1 }], 'alice'],
        [[{ productId: mug.productId, warehouseId: other.id, quantity: 2 }], 'alice'],
        [[{ ...mug, quantity: 2 }], 'bob'],
      ] as const) {
        const order = await orderOn([...items], customer);
        await expectRefusal(holds.convertHold(input.holdId, order), 'HOLD_MISMATCH');
      }
      assert.equal((await holdRow(input.holdId))?.status, 'active');
      await holds.releaseHold(input.holdId, 'released');
    });

    it('refuses HOLD_NOT_ACTIVE for a released hold, and convert racing release ends one way with the stock agreeing', async function () {
      const mug = await seedStockedProduct(db, { onHand: 10 });
      const released = holdInput([{ ...mug, quantity: 1 }]);
      await holds.reserveHold(released);
      await holds.releaseHold(released.holdId, 'released');
      await expectRefusal(holds.convertHold(released.holdId, await orderOn([{ ...mug, quantity: 1 }])), 'HOLD_NOT_ACTIVE');

      const racing = holdInput([{ ...mug, quantity: 2 }]);
      await holds.reserveHold(racing);
      const order = await orderOn([{ ...mug, quantity: 2 }]);
      await Promise.allSettled([holds.convertHold(racing.holdId, order), holds.releaseHold(racing.holdId, 'expired')]);
      const status = (await holdRow(racing.holdId))!.status;
      assert.ok(status === 'converted' || status === 'expired', status);
      assert.deepEqual(await storedLevel(db, mug), { onHand: 10, reserved: status === 'converted' ? 2 : 0 });
      if (status === 'converted') await inventory.releaseStock(order.orderId, 'cancelled');
    });
  });
});
