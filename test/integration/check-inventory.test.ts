import { strict as assert } from 'node:assert';
import { and, eq } from 'drizzle-orm';
import { openDatabase, type Database } from '../../db/client';
import { inventoryLevels } from '../../db/schema';
import { freePort } from '../support/ports';
import { seedStockedProduct } from '../support/catalog';
import { checkInventory } from '../support/audit-scripts';
import { createTestDatabase } from '../support/database';
import { reserveOrder } from '../support/reserved-order';

describe('npm run check:inventory (scripts/check-inventory.ts)', function () {
  let database: Database;
  let url: string;

  before(async function () {
    url = (await createTestDatabase()).url;
    database = openDatabase(url);
  });

  after(async function () {
    await database?.close();
  });

  it('exits 0 and says how many levels it checked when levels and ledger agree', async function () {
    const pair = await seedStockedProduct(database.db, { onHand: 10 });
    await seedStockedProduct(database.db, { onHand: 3 });
    await reserveOrder(database.db, [{ ...pair, quantity: 4 }]);

    const result = await checkInventory(url);

    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), 'inventory consistent: 2 levels checked');
  });

  it('exits 1 and names the level when one was changed behind the ledger', async function () {
    const pair = await seedStockedProduct(database.db, { onHand: 10 });
    const atPair = and(eq(inventoryLevels.productId, pair.productId), eq(inventoryLevels.warehouseId, pair.warehouseId));
    await database.sql`UPDATE inventory_levels SET on_hand = 12 WHERE product_id = ${pair.productId} AND warehouse_id = ${pair.warehouseId}`;
    try {
      const result = await checkInventory(url);

      assert.equal(result.code, 1, result.stderr);
      const lines = result.stdout.trim().split('\n');
      assert.deepEqual(lines, [
        `discrepancy: product ${pair.productId} in warehouse ${pair.warehouseId}: onHand 12 but the ledger sums to 10`,
        'inventory inconsistent: 1 of 3 levels disagree',
      ]);
    } finally {
      await database.db.update(inventoryLevels).set({ onHand: 10 }).where(atPair);
    }
  });

  it('exits 2 without DATABASE_URL or when the database cannot be reached', async function () {
    const missing = await checkInventory(undefined);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /usage: DATABASE_URL=/);

    const unreachable = await checkInventory(`postgres://postgres@127.0.0.1:${await freePort()}/nowhere`);
    assert.equal(unreachable.code, 2);
    assert.match(unreachable.stderr, /cannot check the inventory/);
  });
});
