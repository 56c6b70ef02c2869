import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { asc, eq } from 'drizzle-orm';
import { appendEvent } from '../../db/outbox';
import { eventOutbox } from '../../db/schema';
import { levelSubject } from '../../domain/events';
import { call } from '../support/http';
import { KEYS } from '../support/stack';
import { stockedProduct } from './seed-catalog';
import { suiteStack } from './suite-stack';

describe('GET /events, GET /events/failed, POST /events/{id}/retry', function () {
  this.timeout(120_000);
  const stack = suiteStack();

  /** Reads the whole feed from `after` on, `limit` at a time; returns the events and the last cursor. */
  async function readAll(query: string, after?: string, limit = 2) {
    const events = [];
    let cursor = after;
    for (;;) {
      const res = await call(stack, 'GET', `/events?limit=${limit}${query}${cursor ? `&after=${cursor}` : ''}`, { key: KEYS.admin });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      events.push(...res.body.data);
      if (res.body.data.length < limit) return { events, next: res.body.meta.next as string | null };
      cursor = res.body.meta.next;
    }
  }

  /**
   * readAll once `ready` holds for what it read. The feed serves a transaction's rows once every
   * transaction older than it has finished, on the whole server, so a moment may pass.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- envelopes as parsed JSON, like CallResult.body
  async function readAllOnce(query: string, ready: (events: any[]) => boolean) {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const read = await readAll(query);
      if (ready(read.events) || Date.now() > deadline) return read;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  function orderPlaced(productId: string, warehouseId: string) {
    return call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId, warehouseId, quantity: 1 }], shippingAddress: '1 Main St' },
    });
  }

  it('serves every event oldest first in envelopes, page by page through meta.next', async () => {
    const { productId, warehouseId } = await stockedProduct(stack, 5);
    const placed = await orderPlaced(productId, warehouseId);
    assert.equal(placed.status, 201);

    const stored = await stack.database.db.select({ id: eventOutbox.id }).from(eventOutbox);
    const { events, next } = await readAllOnce('', (read) => read.length >= stored.length);
    assert.deepEqual(new Set(events.map((e) => e.id)), new Set(stored.map((row) => row.id)), 'every event, once');
    assert.equal(events.length, stored.length);
    assert.ok(next, 'a cursor to read on from');

    const order = events.filter((e) => e.subject === placed.body.data.id);
    assert.deepEqual(order.map((e) => [e.type, e.sequence]), [['order.created', 1]]);
    assert.deepEqual(Object.keys(order[0]).sort(), [
      'correlationId', 'data', 'dataVersion', 'id', 'sequence', 'source', 'subject', 'timestamp', 'type',
    ]);
    assert.equal(order[0].source, 'order-service');
    assert.equal(order[0].dataVersion, '1.0');
    assert.equal(order[0].data.orderId, placed.body.data.id);

    const empty = await call(stack, 'GET', `/events?after=${next}`, { key: KEYS.admin });
    assert.deepEqual(empty.body.data, []);
    assert.equal(empty.body.meta.next, next, 'with nothing newer, the cursor stays where it was');
  });

  it('never skips an event whose transaction commits after a later one did', async () => {
    const { next: start } = await readAll('');
    const { productId, warehouseId } = await stockedProduct(stack, 5);
    let commit!: () => void;
    const held = new Promise<void>((resolve) => (commit = resolve));
    const lateId = randomUUID();
    // The late transaction writes its event first (and so takes the smaller transaction id)...
    const late = stack.database.db.transaction(async (tx) => {
      await appendEvent(tx, {
        type: 'inventory.low_stock',
        subject: `late-${lateId}`,
        correlationId: lateId,
        data: { productId, warehouseId, onHand: 1, reserved: 0, available: 1, lowStockThreshold: 2 },
      });
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // ...while an order placed meanwhile commits at once.
    const placed = await orderPlaced(productId, warehouseId);
    assert.equal(placed.status, 201);

    const whileOpen = await readAll('', start ?? undefined);
    assert.equal(whileOpen.events.find((e) => e.correlationId === lateId), undefined, 'not committed yet');
    assert.equal(
      whileOpen.events.find((e) => e.subject === placed.body.data.id),
      undefined,
      'held back behind the open transaction, so the cursor cannot pass the late event',
    );

    commit();
    await late;
    const after = await readAllOnce('', (read) => read.some((e) => e.subject === placed.body.data.id)).then(() =>
      readAll('', whileOpen.next ?? undefined),
    );
    const lateEvent = after.events.findIndex((e) => e.correlationId === lateId);
    const created = after.events.findIndex((e) => e.subject === placed.body.data.id);
    assert.ok(lateEvent >= 0 && created >= 0, 'both arrive once the late one committed');
    assert.ok(lateEvent < created, 'in the order of the transactions that wrote them');
  });

  it('filters by type and by subject, and carries the request id of the change as correlationId', async () => {
    const { productId, warehouseId } = await stockedProduct(stack, 5);
    const requestId = `req-${randomUUID()}`;
    const adjusted = await call(stack, 'POST', '/inventory/adjustments', {
      key: KEYS.admin,
      headers: { 'X-Request-Id': requestId },
      body: { productId, warehouseId, delta: -4, reason: 'damaged' },
    });
    assert.equal(adjusted.status, 200);

    const subject = encodeURIComponent(levelSubject(productId, warehouseId));
    const { events } = await readAllOnce(`&subject=${subject}`, (read) => read.length >= 3);
    // The stock set that created the level, then the damage: 5 → 1, at or below the threshold of 2.
    assert.deepEqual(events.map((e) => [e.type, e.sequence]), [
      ['inventory.adjusted', 1],
      ['inventory.adjusted', 2],
      ['inventory.low_stock', 3],
    ]);
    const [, damaged, low] = events;
    assert.equal(damaged.correlationId, requestId);
    assert.equal(damaged.data.note, 'damaged');
    assert.equal(damaged.data.deltaOnHand, -4);
    assert.equal(low.correlationId, requestId);
    assert.equal(low.data.available, 1);

    const onlyLow = await readAllOnce(`&type=inventory.low_stock&subject=${subject}`, (read) => read.length >= 1);
    assert.deepEqual(onlyLow.events.map((e) => e.id), [low.id]);
  });

  it('refuses what it cannot serve: 400 for a foreign cursor, an unknown type or limit, 403 for non-admins', async () => {
    for (const query of ['after=bm90LWEtY3Vyc29y', 'type=order.exploded', 'limit=101', 'limit=0', 'color=red']) {
      const res = await call(stack, 'GET', `/events?${query}`, { key: KEYS.admin });
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR', query);
    }
    for (const key of [KEYS.alice, KEYS.warehouse]) {
      assert.equal((await call(stack, 'GET', '/events', { key })).status, 403);
      assert.equal((await call(stack, 'GET', '/events/failed', { key })).status, 403);
      assert.equal((await call(stack, 'POST', `/events/${randomUUID()}/retry`, { key })).status, 403);
    }
    assert.equal((await call(stack, 'GET', '/events')).status, 401);
  });

  it('lists the events the relay gave up on and puts one back in line; 409 for one that has not failed, 404 for none', async () => {
    const { productId, warehouseId } = await stockedProduct(stack, 5);
    const [event] = await stack.database.db
      .select({ id: eventOutbox.id })
      .from(eventOutbox)
      .where(eq(eventOutbox.subject, levelSubject(productId, warehouseId)))
      .orderBy(asc(eventOutbox.sequence));
    // As the relay leaves an event the broker refused OUTBOX_MAX_ATTEMPTS times.
    await stack.database.db
      .update(eventOutbox)
      .set({ status: 'failed', attempts: 10, lastError: 'JetStreamApiError: message size exceeds maximum allowed' })
      .where(eq(eventOutbox.id, event!.id));

    const failed = await call(stack, 'GET', '/events/failed?limit=100', { key: KEYS.admin });
    assert.equal(failed.status, 200);
    const listed = failed.body.data.find((e: { id: string }) => e.id === event!.id);
    assert.equal(listed.status, 'failed');
    assert.equal(listed.attempts, 10);
    assert.match(listed.lastError, /message size/);
    assert.equal(failed.body.meta.total, failed.body.data.length);

    const retried = await call(stack, 'POST', `/events/${event!.id}/retry`, { key: KEYS.admin });
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assert.equal(retried.body.data.status, 'pending');
    assert.equal(retried.body.data.attempts, 0);
    assert.equal(retried.body.data.lastError, null);
    const again = await call(stack, 'POST', `/events/${event!.id}/retry`, { key: KEYS.admin });
    assert.equal(again.status, 409);
    assert.equal(again.body.error.code, 'EVENT_NOT_FAILED');
    assert.deepEqual(again.body.error.details, { status: 'pending' });
    const missing = await call(stack, 'POST', `/events/${randomUUID()}/retry`, { key: KEYS.admin });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'NOT_FOUND');
    assert.equal((await call(stack, 'POST', '/events/not-an-id/retry', { key: KEYS.admin })).status, 400);
    const listedAfter = await call(stack, 'GET', '/events/failed?limit=100', { key: KEYS.admin });
    assert.equal(listedAfter.body.data.find((e: { id: string }) => e.id === event!.id), undefined);
  });
});
