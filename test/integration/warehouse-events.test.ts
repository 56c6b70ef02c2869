import { strict as assert } from 'node:assert';
import { randomUUID } from 'node:crypto';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { and, count, eq } from 'drizzle-orm';
import { createOrderWorkflows } from '../../api/order-workflows';
import { deliveryOrders, eventOutbox } from '../../db/schema';
import type { DeliveryMoves } from '../../workers/warehouse-events';
import { eventStreamNames, type EventStreamNames } from '../../workers/event-streams';
import { temporalLogger } from '../../logging/temporal-logger';
import { testLogger } from '../support/logs';
import {
  createWarehouseEventConsumer,
  decideReport,
  type WarehouseEventConsumer,
} from '../../workers/warehouse-events';
import { stockedProduct } from '../api/seed-catalog';
import { suiteStack } from '../api/suite-stack';
import { call } from '../support/http';
import { natsClient, testBroker, uniqueSubjectPrefixes, type TestBroker } from '../support/nats';
import { KEYS } from '../support/stack';
import { waitUntil } from '../support/wait';

describe('what a warehouse report means for a delivery order', () => {
  it('applies a move from where it starts, acks a repeat, and refuses the rest', () => {
    assert.equal(decideReport('shipped', 'reserved'), 'apply');
    assert.equal(decideReport('shipped', 'shipped'), 'already_applied');
    assert.equal(decideReport('shipped', 'delivered'), 'already_applied');
    assert.equal(decideReport('shipped', 'cancelled'), 'never_applies');
    assert.equal(decideReport('delivered', 'shipped'), 'apply');
    assert.equal(decideReport('delivered', 'delivered'), 'already_applied');
    assert.equal(decideReport('delivered', 'reserved'), 'never_applies');
    assert.equal(decideReport('delivered', 'cancelled'), 'never_applies');
  });
});

describe('warehouse reports over JetStream (real nats-server, saga and database)', function () {
  this.timeout(180_000);
  const stack = suiteStack();
  let broker: TestBroker;
  let nats: NatsConnection;
  let jsm: JetStreamManager;
  let names: EventStreamNames;
  let consumer: WarehouseEventConsumer;
  /** Saga calls fail while this is above 0, each failure counting it down: the saga is away. */
  let sagaAwayFor = 0;
  let sagaCalls = 0;

  before(async function () {
    const found = await testBroker();
    if (!found) return this.skip();
    broker = found;
    nats = await natsClient(broker.url);
    jsm = await jetstreamManager(nats);
    const prefixes = uniqueSubjectPrefixes(broker);
    names = eventStreamNames(prefixes.subjectPrefix, prefixes.warehousePrefix);
    const real = createOrderWorkflows(stack.config, stack.client);
    const flaky = (move: keyof DeliveryMoves): DeliveryMoves[typeof move] => async (...args) => {
      sagaCalls++;
      if (sagaAwayFor > 0) {
        sagaAwayFor--;
        throw new Error('14 UNAVAILABLE: the workflow engine does not answer');
      }
      return real[move](...args);
    };
    consumer = createWarehouseEventConsumer({
      nats,
      db: stack.database.db,
      moves: { ship: flaky('ship'), deliver: flaky('deliver') },
      settings: { subjectPrefix: prefixes.subjectPrefix, warehouseSubjectPrefix: prefixes.warehousePrefix, retryDelayMs: 200 },
      log: temporalLogger(testLogger.child({ name: 'test-warehouse' })),
    });
    consumer.start();
    await waitUntil('the consumer exists', () =>
      jsm.consumers.info(names.warehouseStream, names.warehouseConsumer).then(
        () => true,
        () => false,
      ),
    );
  });
  after(async () => {
    await consumer?.stop();
  });

  /** A paid order with one delivery order; returns both ids. */
  async function paidOrder(): Promise<{ orderId: string; deliveryOrderId: string }> {
    const line = await stockedProduct(stack, 10);
    const placed = await call(stack, 'POST', '/orders', {
      key: KEYS.alice,
      body: { items: [{ productId: line.productId, warehouseId: line.warehouseId, quantity: 1 }], shippingAddress: '1 Main St' },
    });
    assert.equal(placed.status, 201, JSON.stringify(placed.body));
    const paid = await call(stack, 'POST', `/orders/${placed.body.data.id}/payment`, { key: KEYS.alice, body: {} });
    assert.equal(paid.status, 200, JSON.stringify(paid.body));
    return { orderId: placed.body.data.id, deliveryOrderId: paid.body.data.deliveryOrderIds[0] };
  }

  function report(kind: 'shipped' | 'delivered', payload: unknown): Promise<unknown> {
    const subject = kind === 'shipped' ? names.shippedSubject : names.deliveredSubject;
    return jetstream(nats).publish(subject, typeof payload === 'string' ? payload : JSON.stringify(payload));
  }

  async function statusOf(orderId: string): Promise<string> {
    return (await call(stack, 'GET', `/orders/${orderId}`, { key: KEYS.admin })).body.data.status;
  }

  async function deliveryStatusOf(deliveryOrderId: string): Promise<string | undefined> {
    const [row] = await stack.database.db
      .select({ status: deliveryOrders.status })
      .from(deliveryOrders)
      .where(eq(deliveryOrders.id, deliveryOrderId));
    return row?.status;
  }

  /** Every report the consumer has not finished with: waiting, or delivered and not yet acked. */
  async function unsettledReports(): Promise<number> {
    const info = await jsm.consumers.info(names.warehouseStream, names.warehouseConsumer);
    return info.num_pending + info.num_ack_pending;
  }

  async function deadLetters(): Promise<Array<{ reason: string; payload: string; subject: string }>> {
    const info = await jsm.streams.info(names.deadLetterStream);
    const letters = [];
    for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(names.deadLetterStream, { seq });
      if (m) letters.push({ reason: m.header.get('Dead-Letter-Reason'), payload: m.string(), subject: m.header.get('Dead-Letter-Subject') });
    }
    return letters;
  }

  it('ships and delivers an order from warehouse reports, acking each once the saga applied it', async () => {
    const { orderId, deliveryOrderId } = await paidOrder();
    const lettersBefore = (await deadLetters()).length;

    await report('shipped', { deliveryOrderId, at: new Date().toISOString() });
    await waitUntil('the order is shipped', async () => (await statusOf(orderId)) === 'shipped');
    await report('delivered', { deliveryOrderId, at: new Date().toISOString() });
    await waitUntil('the order is delivered', async () => (await statusOf(orderId)) === 'delivered');
    await waitUntil('both reports are acked', async () => (await unsettledReports()) === 0);

    assert.equal(await deliveryStatusOf(deliveryOrderId), 'delivered');
    assert.equal((await deadLetters()).length, lettersBefore, 'nothing was dead-lettered');
  });

  it('ignores a repeated report: the move is applied and announced once', async () => {
    const { orderId, deliveryOrderId } = await paidOrder();
    const at = new Date().toISOString();
    await report('shipped', { deliveryOrderId, at });
    await report('shipped', { deliveryOrderId, at });
    await waitUntil('the order is shipped', async () => (await statusOf(orderId)) === 'shipped');
    await waitUntil('both reports are acked', async () => (await unsettledReports()) === 0);

    const [announced] = await stack.database.db
      .select({ n: count() })
      .from(eventOutbox)
      .where(and(eq(eventOutbox.subject, orderId), eq(eventOutbox.type, 'delivery_order.shipped')));
    assert.equal(announced!.n, 1);
    assert.equal((await deadLetters()).filter((l) => l.payload.includes(deliveryOrderId)).length, 0);
  });

  it('dead-letters a bad payload, an unknown delivery order and a shipment of a cancelled order', async () => {
    const cancelled = await paidOrder();
    const cancel = await call(stack, 'POST', `/orders/${cancelled.orderId}/cancel`, { key: KEYS.alice, body: {} });
    assert.equal(cancel.status, 200);
    const unknown = randomUUID();
    const before = (await deadLetters()).length;

    await report('shipped', 'not json');
    await report('delivered', { deliveryOrderId: 'not-a-uuid', at: 'yesterday' });
    await report('shipped', { deliveryOrderId: unknown, at: new Date().toISOString() });
    await report('shipped', { deliveryOrderId: cancelled.deliveryOrderId, at: new Date().toISOString() });
    await waitUntil('four dead letters', async () => (await deadLetters()).length === before + 4);
    await waitUntil('every report is settled', async () => (await unsettledReports()) === 0);

    const letters = (await deadLetters()).slice(before);
    assert.match(letters[0]!.reason, /not JSON/);
    assert.equal(letters[0]!.payload, 'not json', 'the report is kept as it came');
    assert.match(letters[1]!.reason, /bad payload: deliveryOrderId: .*; at: /);
    assert.equal(letters[1]!.subject, names.deliveredSubject);
    assert.match(letters[2]!.reason, new RegExp(`no delivery order ${unknown}`));
    assert.match(letters[3]!.reason, /is cancelled; it cannot become shipped/);
    assert.equal(await statusOf(cancelled.orderId), 'cancelled');
    assert.equal(await deliveryStatusOf(cancelled.deliveryOrderId), 'cancelled');
  });

  it('tries a report again while the saga is away, and applies it once the saga answers', async () => {
    const { orderId, deliveryOrderId } = await paidOrder();
    sagaAwayFor = 3;
    const callsBefore = sagaCalls;
    await report('shipped', { deliveryOrderId, at: new Date().toISOString() });
    await waitUntil('the order is shipped', async () => (await statusOf(orderId)) === 'shipped');
    await waitUntil('the report is acked', async () => (await unsettledReports()) === 0);
    assert.equal(sagaCalls - callsBefore, 4, 'three refused calls, then the one that applied it');
    assert.equal(sagaAwayFor, 0);
  });

  it('ends consistent when a shipment report races the customer cancelling', async () => {
    for (let round = 0; round < 3; round++) {
      const { orderId, deliveryOrderId } = await paidOrder();
      const before = (await deadLetters()).length;
      const [cancel] = await Promise.all([
        call(stack, 'POST', `/orders/${orderId}/cancel`, { key: KEYS.alice, body: {} }),
        report('shipped', { deliveryOrderId, at: new Date().toISOString() }),
      ]);
      await waitUntil('the report is settled', async () => (await unsettledReports()) === 0);
      const letters = (await deadLetters()).length - before;
      if (cancel.status === 200) {
        assert.equal(await statusOf(orderId), 'cancelled');
        assert.equal(await deliveryStatusOf(deliveryOrderId), 'cancelled');
        assert.equal(letters, 1, 'the shipment lost to the cancel and was dead-lettered');
      } else {
        assert.equal(cancel.status, 409, JSON.stringify(cancel.body));
        assert.equal(cancel.body.error.code, 'ORDER_NOT_CANCELLABLE');
        await waitUntil('the order is shipped', async () => (await statusOf(orderId)) === 'shipped');
        assert.equal(await deliveryStatusOf(deliveryOrderId), 'shipped');
        assert.equal(letters, 0);
      }
    }
  });
});
