import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { eq } from 'drizzle-orm';
import { findInventoryDiscrepancies } from '../../db/audit';
import { stockHolds } from '../../db/schema';
import { stockedProduct, type StockedProduct } from '../api/seed-catalog';
import { suiteStack } from '../api/suite-stack';
import { call } from '../support/http';
import { KEYS } from '../support/stack';

/** Stock holds on the real stack: their workflows, timers and the database together. */
describe('stock holds end to end (real PostgreSQL, Temporal dev server, worker)', function () {
  const stack = suiteStack({ env: { HOLD_MAX_TTL: '1h', RESERVATION_MAX_EXTENSIONS: '1' } });

  async function reserved(product: StockedProduct) {
    const res = await call(stack, 'GET', `/inventory/${product.productId}/${product.warehouseId}`, { key: KEYS.admin });
    return res.body.data.reserved as number;
  }

  async function hold(product: StockedProduct, quantity: number, expiresIn: number): Promise<{ id: string; expiresAt: string }> {
    const res = await call(stack, 'POST', '/inventory/reserve', {
      key: KEYS.alice,
      body: { items: [{ productId: product.productId, quantity }], expiresIn },
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return { id: res.body.data.reservationId, expiresAt: res.body.data.expiresAt };
  }

  async function holdRow(id: string) {
    const [row] = await stack.database.db.select().from(stockHolds).where(eq(stockHolds.id, id));
    return row!;
  }

  async function untilEnded(id: string, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const row = await holdRow(id);
      if (row.status !== 'active') return row;
      await sleep(100);
    }
    assert.fail(`stock hold ${id} was still active after ${timeoutMs} ms`);
  }

  it('survives a worker restart and expires once the worker is back, never before its time', async function () {
    const mug = await stockedProduct(stack, 10);
    const { id, expiresAt } = await hold(mug, 3, 2);

    await stack.stopWorker();
    try {
      await sleep(Date.parse(expiresAt) - Date.now() + 1_000);
      // Nobody ran the timer: the units are still held, as the hold row says.
      assert.equal((await holdRow(id)).status, 'active');
      assert.equal(await reserved(mug), 3);
    } finally {
      await stack.startWorker();
    }

    const ended = await untilEnded(id, 20_000);
    assert.equal(ended.status, 'expired');
    assert.ok(ended.updatedAt.getTime() >= Date.parse(expiresAt), 'expired before its expiry');
    assert.equal(await reserved(mug), 0);
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
  });

  it('expires on time with the worker running', async function () {
    const mug = await stockedProduct(stack, 10);
    const { id, expiresAt } = await hold(mug, 1, 1);

    const ended = await untilEnded(id, 10_000);

    assert.equal(ended.status, 'expired');
    const lateMs = ended.updatedAt.getTime() - Date.parse(expiresAt);
    assert.ok(lateMs >= 0 && lateMs < 5_000, `expired ${lateMs} ms after its expiry`);
    assert.equal(await reserved(mug), 0);
  });

  it('ends every extension racing the expiry one way: extended and still held, or refused and given back', async function () {
    const mug = await stockedProduct(stack, 20);
    const holds = await Promise.all(Array.from({ length: 6 }, () => hold(mug, 2, 1)));

    // Each extension is sent around its hold's expiry: some before it, some just after.
    const answers = await Promise.all(
      holds.map(async ({ id, expiresAt }, index) => {
        await sleep(Math.max(0, Date.parse(expiresAt) - Date.now() - 300 + index * 120));
        return call(stack, 'POST', `/inventory/reservations/${id}/extend`, { key: KEYS.alice, body: { by: 60 } });
      }),
    );

    let stillHeld = 0;
    for (const [index, res] of answers.entries()) {
      const row = await holdRow(holds[index]!.id);
      if (res.status === 200) {
        assert.equal(row.status, 'active', 'an extended hold must stay held');
        assert.equal(row.expiresAt.getTime(), Date.parse(holds[index]!.expiresAt) + 60_000);
        stillHeld += 1;
      } else {
        assert.deepEqual([res.status, res.body.error.code], [409, 'HOLD_NOT_ACTIVE'], JSON.stringify(res.body));
        assert.equal((await untilEnded(holds[index]!.id, 10_000)).status, 'expired');
      }
    }
    assert.equal(await reserved(mug), 2 * stillHeld);
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
    for (const { id } of holds) await call(stack, 'POST', '/inventory/release', { key: KEYS.alice, body: { reservationId: id } });
    assert.equal(await reserved(mug), 0);
  });
});
