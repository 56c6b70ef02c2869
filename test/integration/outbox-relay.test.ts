import { strict as assert } from 'node:assert';
import { jetstreamManager } from '@nats-io/jetstream';
import { nanos, type NatsConnection } from '@nats-io/transport-node';
import { asc, eq } from 'drizzle-orm';
import { createInventoryActivities } from '../../activities/inventory';
import { openDatabase, type Database, type Db } from '../../db/client';
import { adjustOnHand } from '../../db/inventory-levels';
import { retryFailedEvent } from '../../db/outbox';
import { eventOutbox } from '../../db/schema';
import { levelSubject } from '../../domain/events';
import { eventStreamNames } from '../../workers/event-streams';
import { seedCustomer, seedStockedProduct } from '../support/catalog';
import { createTestDatabase } from '../support/database';
import { call } from '../support/http';
import {
  assertInSequencePerSubject,
  brokerLink,
  natsClient,
  storedEvents,
  testBroker,
  uniqueSubjectPrefixes,
  type TestBroker,
} from '../support/nats';
import { outboxCount, runRelayProcess, startRelay, testRelaySettings } from '../support/outbox-relay';
import { reserveOrder } from '../support/reserved-order';
import { KEYS, startStack } from '../support/stack';
import { waitUntil } from '../support/wait';

/** Every outbox row's id, in position order. */
async function outboxIds(db: Db): Promise<string[]> {
  const rows = await db.select({ id: eventOutbox.id }).from(eventOutbox).orderBy(asc(eventOutbox.position));
  return rows.map((row) => row.id);
}

describe('outbox relay on a real nats-server', function () {
  this.timeout(300_000);
  let broker: TestBroker;
  let reader: NatsConnection;

  before(async function () {
    const found = await testBroker();
    if (!found) return this.skip();
    broker = found;
    reader = await natsClient(broker.url);
  });

  it('publishes every event exactly once, in order per order, with no gaps, after the broker was away while 50 orders were placed, paid, cancelled and expired', async () => {
    const prefixes = uniqueSubjectPrefixes(broker);
    const names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
    const stack = await startStack({ env: { RESERVATION_TTL: '10s' } });
    try {
      const db = stack.database.db;
      await seedCustomer(db, { id: 'outage-shopper' });
      const mug = await seedStockedProduct(db, { onHand: 100 });
      const cup = await seedStockedProduct(db, { onHand: 100 });

      const link = await brokerLink(broker);
      const relay = await startRelay(stack.config.DATABASE_URL!, link.url, testRelaySettings(prefixes));
      await link.cut();

      const placed = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          call(stack, 'POST', '/orders', {
            key: KEYS.admin,
            body: {
              customerId: 'outage-shopper',
              items: [{ ...mug, quantity: 1 }, ...(i % 2 === 0 ? [{ ...cup, quantity: 2 }] : [])],
              shippingAddress: '1 Main St',
            },
          }),
        ),
      );
      assert.ok(placed.every((r) => r.status === 201), JSON.stringify(placed.find((r) => r.status !== 201)?.body));
      const ids: string[] = placed.map((r) => r.body.data.id);
      const [toPay, toCancel, toExpire] = [ids.slice(0, 20), ids.slice(20, 35), ids.slice(35)];
      const settled = await Promise.all([
        ...toPay.map((id) => call(stack, 'POST', `/orders/${id}/payment`, { key: KEYS.admin, body: { paymentToken: 'tok_visa' } })),
        ...toCancel.map((id) => call(stack, 'POST', `/orders/${id}/cancel`, { key: KEYS.admin, body: {} })),
      ]);
      assert.ok(settled.every((r) => r.status === 200), JSON.stringify(settled.find((r) => r.status !== 200)?.body));
      await waitUntil('the unpaid orders expired', async () => {
        const rows = await Promise.all(toExpire.map((id) => call(stack, 'GET', `/orders/${id}`, { key: KEYS.admin })));
        return rows.every((r) => r.body.data.status === 'expired');
      });

      assert.equal((await storedEvents(reader, names.eventStream)).length, 0, 'nothing reached the broker while it was away');
      assert.equal(relay.status().brokerAvailable, false);
      const written = await outboxIds(db);
      assert.ok(written.length >= 50 * 4, `every order wrote its events (${written.length})`);

      await link.restore();
      await waitUntil('the relay caught up', async () => (await outboxCount(db, 'pending')) === 0, 60_000);

      const stored = await storedEvents(reader, names.eventStream);
      assert.equal(stored.length, written.length, 'each event stored once');
      assert.deepEqual(new Set(stored.map((m) => m.msgId)), new Set(written), 'the message id is the event id');
      assert.deepEqual(
        stored.map((m) => m.envelope.id),
        stored.map((m) => m.msgId),
      );
      assertInSequencePerSubject(stored.map((m) => m.envelope));
      for (const m of stored) assert.equal(m.subject, `${prefixes.subjectPrefix}${m.envelope.type}`);

      const orderTypes = (id: string) => stored.filter((m) => m.envelope.subject === id).map((m) => m.envelope.type);
      // Even orders hold lines in two warehouses: two delivery orders.
      assert.deepEqual(orderTypes(toPay[0]!), ['order.created', 'payment.succeeded', 'delivery_order.created', 'delivery_order.created', 'order.confirmed']);
      assert.deepEqual(orderTypes(toPay[1]!), ['order.created', 'payment.succeeded', 'delivery_order.created', 'order.confirmed']);
      assert.deepEqual(orderTypes(toCancel[0]!), ['order.created', 'order.cancelled']);
      assert.deepEqual(orderTypes(toExpire[0]!), ['order.created', 'order.expired']);
      const mugEvents = stored.filter((m) => m.envelope.subject === levelSubject(mug.productId, mug.warehouseId));
      assert.equal(mugEvents.filter((m) => m.envelope.type === 'inventory.reserved').length, 50);
      assert.equal(mugEvents.filter((m) => m.envelope.type === 'inventory.committed').length, 20);
      assert.equal(mugEvents.filter((m) => m.envelope.type === 'inventory.released').length, 30);
      await relay.stop();
    } finally {
      await stack.stop();
    }
  });

  describe('on a database of its own', () => {
    let database: Database;
    let url: string;

    beforeEach(async () => {
      url = (await createTestDatabase()).url;
      database = openDatabase(url, { max: 10 });
    });
    afterEach(async () => {
      await database?.close();
    });

    it('lets no consumer see a duplicate when the relay is killed between publishing and marking', async () => {
      const prefixes = uniqueSubjectPrefixes(broker);
      const names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
      const db = database.db;
      const line = await seedStockedProduct(db, { onHand: 50 });
      for (let i = 0; i < 10; i++) await reserveOrder(db, [{ ...line, quantity: 1 }]);
      const written = await outboxIds(db);
      const settings = testRelaySettings(prefixes, { batchSize: 100 });

      const killed = await runRelayProcess(url, broker.url, settings, { killAfterAck: true });
      assert.equal(killed.signal, 'SIGKILL', killed.output);
      assert.equal((await storedEvents(reader, names.eventStream)).length, written.length, 'the broker had them all');
      assert.equal(await outboxCount(db, 'pending'), written.length, 'none was marked published');

      const relay = await startRelay(url, broker.url, settings);
      await waitUntil('the second relay marked everything', async () => (await outboxCount(db, 'pending')) === 0);
      await relay.stop();

      const stored = await storedEvents(reader, names.eventStream);
      assert.equal(stored.length, written.length, 'the repeats were dropped as duplicates');
      assert.deepEqual(new Set(stored.map((m) => m.msgId)), new Set(written));
      assertInSequencePerSubject(stored.map((m) => m.envelope));
      assert.ok(relay.status().published >= written.length, 'the second relay did publish them again');
    });

    it("never reorders a subject's events while two relays run and the leader's connection is cut under it", async () => {
      const prefixes = uniqueSubjectPrefixes(broker);
      const names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
      const db = database.db;
      const lines = await Promise.all([1, 2, 3].map(() => seedStockedProduct(db, { onHand: 1000 })));
      const settings = testRelaySettings(prefixes, { batchSize: 20 });
      const relays = [await startRelay(url, broker.url, settings), await startRelay(url, broker.url, settings)];

      const inventory = createInventoryActivities(db);
      const writing = (async () => {
        for (let round = 0; round < 30; round++) {
          await Promise.all(
            lines.map(async (line, i) => {
              const order = await reserveOrder(db, [{ ...line, quantity: 1 }, { ...lines[(i + 1) % 3]!, quantity: 1 }]);
              if (round % 3 === 0) await inventory.releaseStock(order.orderId, 'cancelled');
              else await inventory.commitStock(order.orderId);
            }),
          );
        }
      })();
      // The leader loses its lock's session mid-stream (it may still be publishing what it had
      // claimed while a relay takes the lead), then the leader stops and the other must take over.
      await waitUntil('a relay leads', () => relays.some((relay) => relay.status().leading));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await database.sql`
        SELECT pg_terminate_backend(pid) FROM pg_locks
        WHERE locktype = 'advisory' AND objid = 727002 AND granted
          AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`;
      await waitUntil('a relay leads again', () => relays.some((relay) => relay.status().leading));
      await new Promise((resolve) => setTimeout(resolve, 300));
      await relays.find((relay) => relay.status().leading)!.stop();
      await writing;
      await waitUntil('the relays caught up', async () => (await outboxCount(db, 'pending')) === 0, 60_000);
      await Promise.all(relays.map((relay) => relay.stop()));

      const written = await outboxIds(db);
      const stored = await storedEvents(reader, names.eventStream);
      assert.equal(stored.length, written.length, 'each event stored once');
      assert.deepEqual(new Set(stored.map((m) => m.msgId)), new Set(written));
      assertInSequencePerSubject(stored.map((m) => m.envelope));
      assert.ok(relays.every((relay) => relay.status().published > 0), 'both relays led at some point');
    });

    it("parks an event the broker keeps refusing, lets the subject's later events through, and publishes it when retried", async () => {
      const prefixes = uniqueSubjectPrefixes(broker);
      const names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
      const jsm = await jetstreamManager(reader);
      // A stream that takes small messages only; the relay finds it and uses it as it is.
      await jsm.streams.add({
        name: names.eventStream,
        subjects: names.eventSubjects,
        max_msg_size: 2048,
        duplicate_window: nanos(120_000),
      });
      const db = database.db;
      const line = await seedStockedProduct(db, { onHand: 10 });
      await adjustOnHand(db, { ...line, delta: -1, reason: 'x'.repeat(4000) });
      await adjustOnHand(db, { ...line, delta: -1, reason: 'dropped' });
      const subject = levelSubject(line.productId, line.warehouseId);
      const [big] = await db
        .select({ id: eventOutbox.id })
        .from(eventOutbox)
        .where(eq(eventOutbox.subject, subject))
        .orderBy(asc(eventOutbox.sequence))
        .offset(1);

      const relay = await startRelay(url, broker.url, testRelaySettings(prefixes, { maxAttempts: 3 }));
      await waitUntil('the big event is parked and the rest published', async () =>
        (await outboxCount(db, 'failed')) === 1 && (await outboxCount(db, 'pending')) === 0,
      );
      const [parked] = await db.select().from(eventOutbox).where(eq(eventOutbox.id, big!.id));
      assert.equal(parked?.status, 'failed');
      assert.equal(parked.attempts, 3);
      assert.match(parked.lastError ?? '', /message size exceeds maximum/);
      assert.deepEqual((await storedEvents(reader, names.eventStream)).map((m) => m.envelope.sequence), [1, 3]);
      assert.equal(relay.status().brokerAvailable, true, 'a refusal is not an outage');

      await jsm.streams.update(names.eventStream, { max_msg_size: -1 });
      assert.equal((await retryFailedEvent(db, big!.id))?.retried, true);
      await waitUntil('the retried event is published', async () => (await outboxCount(db, 'published')) === 3);
      assert.deepEqual((await storedEvents(reader, names.eventStream)).map((m) => m.envelope.sequence), [1, 3, 2]);
      assert.equal((await retryFailedEvent(db, big!.id))?.retried, false, 'a published event is not retried');
      await relay.stop();
    });

    it('creates the stream under the prefix with a duplicate window longer than its longest retry gap', async () => {
      const prefixes = uniqueSubjectPrefixes(broker);
      const names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
      await seedStockedProduct(database.db, { onHand: 1 });
      const settings = testRelaySettings(prefixes, { duplicateWindowMs: 90_000 });
      const relay = await startRelay(url, broker.url, settings);
      await waitUntil('the event is published', async () => (await outboxCount(database.db, 'pending')) === 0);
      await relay.stop();
      const { config } = await (await jetstreamManager(reader)).streams.info(names.eventStream);
      assert.deepEqual(config.subjects, [`${prefixes.subjectPrefix}>`]);
      assert.equal(config.duplicate_window, nanos(90_000));
      assert.ok(config.duplicate_window > nanos(settings.maxBackoffMs + settings.publishTimeoutMs + 2_000));
    });
  });
});
