/**
 * Records the histories the replay test (test/replay.test.ts) replays: real sagas, placed and
 * driven through the real API, against a real database, a real `temporal server start-dev` and
 * the real worker. Run `npm run record:histories` after a deliberate, patched() change to the
 * workflow, and commit what it writes to test/fixtures/histories/. Keep the histories of the
 * previous workflow versions beside them (as `v1-<name>.json`, `v2-<name>.json`, ...), so the
 * replay test goes on proving that sagas started before each change still replay.
 *
 * `npm run record:histories -- <name>...` records only the named scenarios (e.g. the stock holds'
 * `stock-hold-released stock-hold-adopted`), leaving every other history as it is.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { holdWorkflowIdFor } from '../domain/holds';
import { workflowIdFor } from '../domain/order';
import { createInventoryActivities, type ReserveStockInput } from '../activities/inventory';
import { createOrderActivities } from '../activities/orders';
import { holdIdForIdempotencyKey } from '../api/idempotency';
import { adoptHoldUpdate } from '../workflows/stock-hold-messages';
import { KEYS, startStack, type Stack } from '../test/support/stack';
import { runTeardown } from '../test/support/teardown';

const HISTORIES_DIR = join(__dirname, '..', 'test', 'fixtures', 'histories');
const PRODUCT = 'sku-mug';
const WAREHOUSE = 'wh-east';
/** Allocated by the server: less in the first warehouse by priority than an order asks for. */
const SPLIT_PRODUCT = 'sku-kettle';
const SECOND_WAREHOUSE = 'wh-west';
/** Priced at 0: its orders are confirmed without a charge. */
const FREE_PRODUCT = 'sku-sticker';
const CUSTOMER = 'alice';
const VOUCHER = 'SPRING10';
/** Short, so sagas that reach delivered close soon after; long enough to return goods in. */
const RETURN_WINDOW = '10s';

interface ApiAnswer {
  status: number;
  body: { data?: unknown; error?: { code: string; message: string } };
}

interface OrderJson {
  id: string;
  status: string;
  deliveryOrderIds: string[];
}

/** One saga to record: drives it through the API and returns its order id. */
type Scenario = (api: OrderApi) => Promise<string>;

const scenarios: Record<string, Scenario> = {
  async 'happy-path'(api) {
    const orderId = await api.place(2);
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'cancel-before-payment'(api) {
    const orderId = await api.place(1);
    await api.expect(200, 'POST', `/orders/${orderId}/cancel`, { reason: 'changed my mind' });
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'decline-then-pay'(api) {
    const orderId = await api.place(1);
    await api.expect(402, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_decline_insufficient_funds' });
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'rejected-insufficient-inventory'(api) {
    await api.expect(409, 'POST', '/orders', api.orderBody(10_000));
    const [row] = await api.stack.database.sql<{ id: string }[]>`select id from orders where status = 'rejected'`;
    assert.ok(row, 'the refused order was not recorded as rejected');
    await api.untilClosed(row.id);
    return row.id;
  },
  async 'paid-then-cancelled'(api) {
    // With a voucher, so the late cancel gives the redemption back too.
    const { id: orderId } = await api.expect<OrderJson>(201, 'POST', '/orders', api.orderBody(1, PRODUCT, VOUCHER));
    await api.expect(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    const cancelled = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/cancel`, { reason: 'found it cheaper' });
    assert.equal(cancelled.status, 'cancelled');
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'declined-three-times'(api) {
    const orderId = await api.place(1);
    for (let attempt = 1; attempt <= 3; attempt++) {
      await api.expect(402, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_decline_card' });
    }
    await api.untilClosed(orderId);
    assert.equal((await api.expect<OrderJson>(200, 'GET', `/orders/${orderId}`)).status, 'cancelled');
    return orderId;
  },
  async returned(api) {
    const orderId = await api.place(2);
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilStatus(orderId, 'delivered');
    await api.expect(201, 'POST', `/orders/${orderId}/returns`, {
      items: [{ productId: PRODUCT, warehouseId: WAREHOUSE, quantity: 1 }],
      reason: 'chipped',
    });
    await api.expect(201, 'POST', `/orders/${orderId}/returns`, {});
    await api.untilClosed(orderId);
    assert.equal((await api.expect<OrderJson>(200, 'GET', `/orders/${orderId}`)).status, 'returned');
    return orderId;
  },
  async 'placed-from-hold'(api) {
    const holdId = await api.hold(2);
    const order = await api.expect<OrderJson>(201, 'POST', '/orders', { ...api.orderBody(2), reservationId: holdId });
    assert.equal((await api.expect<HoldJson>(200, 'GET', `/inventory/reservations/${holdId}`)).status, 'converted');
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${order.id}/payment`, { paymentToken: 'tok_visa' });
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilClosed(order.id);
    return order.id;
  },
  async 'placed-from-hold-mismatch'(api) {
    const holdId = await api.hold(2);
    await api.expect(409, 'POST', '/orders', { ...api.orderBody(1), reservationId: holdId });
    const [row] = await api.stack.database.sql<{ id: string }[]>`
      select id from orders where status = 'rejected' and rejection->>'code' = 'HOLD_MISMATCH'`;
    assert.ok(row, 'the refused order was not recorded as rejected');
    await api.untilClosed(row.id);
    await api.expect(200, 'POST', '/inventory/release', { reservationId: holdId });
    return row.id;
  },
  async 'reservation-extended'(api) {
    const orderId = await api.place(1);
    await api.expect(200, 'POST', `/orders/${orderId}/extend-reservation`, { by: 60 });
    await api.expect(409, 'POST', `/orders/${orderId}/extend-reservation`, { by: 60 });
    await api.expect(200, 'POST', `/orders/${orderId}/cancel`, { reason: 'changed my mind' });
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'voucher-compensation'(api) {
    return await api.voucherReleasedAfterShortStock();
  },
  async 'allocation-across-warehouses'(api) {
    const order = await api.expect<OrderJson>(201, 'POST', '/orders', {
      customerId: CUSTOMER,
      items: [{ productId: SPLIT_PRODUCT, quantity: 5 }],
      shippingAddress: '1 Main St',
    });
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${order.id}/payment`, { paymentToken: 'tok_visa' });
    assert.equal(paid.deliveryOrderIds.length, 2, 'the order was not split across both warehouses');
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilClosed(order.id); // the return window closes
    return order.id;
  },
  async 'workflow-cancelled-after-payment'(api) {
    const orderId = await api.place(1);
    await api.expect(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: null });
    await api.saga(orderId).cancel();
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'ship-cancel-race'(api) {
    const orderId = await api.place(1);
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    const [shipped, cancelled] = await Promise.all([
      api.call('POST', `/delivery-orders/${paid.deliveryOrderIds[0]}/ship`, undefined, KEYS.warehouse),
      api.call('POST', `/orders/${orderId}/cancel`, { reason: 'too slow' }),
    ]);
    assert.deepEqual([shipped.status, cancelled.status].sort(), [200, 409], 'exactly one of ship and cancel wins');
    if (shipped.status === 200) await api.expect(200, 'POST', `/delivery-orders/${paid.deliveryOrderIds[0]}/deliver`, undefined, KEYS.warehouse);
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'workflow-cancelled-after-shipment'(api) {
    const orderId = await api.place(1);
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    const [deliveryOrderId] = paid.deliveryOrderIds;
    await api.expect(200, 'POST', `/delivery-orders/${deliveryOrderId}/ship`, undefined, KEYS.warehouse);
    await api.expect(409, 'POST', `/orders/${orderId}/cancel`, { reason: 'too late' });
    await api.saga(orderId).cancel(); // support staff in the Web UI: refused, the delivery goes on
    await api.expect(200, 'POST', `/delivery-orders/${deliveryOrderId}/deliver`, undefined, KEYS.warehouse);
    await api.untilClosed(orderId);
    assert.equal((await api.expect<OrderJson>(200, 'GET', `/orders/${orderId}`)).status, 'delivered');
    return orderId;
  },
  async 'workflow-cancelled-after-partial-return'(api) {
    const orderId = await api.place(2);
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilStatus(orderId, 'delivered');
    await api.expect(201, 'POST', `/orders/${orderId}/returns`, { items: [{ productId: PRODUCT, warehouseId: WAREHOUSE, quantity: 1 }] });
    await api.saga(orderId).cancel();
    await api.expect(201, 'POST', `/orders/${orderId}/returns`, {});
    await api.untilClosed(orderId);
    assert.equal((await api.expect<OrderJson>(200, 'GET', `/orders/${orderId}`)).status, 'returned');
    return orderId;
  },
  async 'lost-charge-then-paid'(api) {
    const orderId = await api.place(1);
    await api.expect(503, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_lost' });
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_visa' });
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'lost-charge-cancelled'(api) {
    const orderId = await api.place(1);
    await api.expect(503, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_lost' });
    await api.expect(200, 'POST', `/orders/${orderId}/cancel`, { reason: 'gave up' });
    await api.untilClosed(orderId);
    return orderId;
  },
  async 'free-order'(api) {
    await api.stock(FREE_PRODUCT, 'Sticker', { [WAREHOUSE]: 10 }, 0);
    const orderId = (await api.expect<OrderJson>(201, 'POST', '/orders', api.orderBody(1, FREE_PRODUCT))).id;
    const paid = await api.expect<OrderJson>(200, 'POST', `/orders/${orderId}/payment`, {});
    await api.shipAndDeliver(paid.deliveryOrderIds);
    await api.untilClosed(orderId);
    return orderId;
  },
};

interface HoldJson {
  reservationId: string;
  status: string;
}

/** Stock holds (StockHoldWorkflow); each returns the hold's id. */
const holdScenarios: Record<string, Scenario> = {
  async 'stock-hold-released'(api) {
    const holdId = await api.hold(2);
    await api.expect(200, 'POST', `/inventory/reservations/${holdId}/extend`, { by: 60 });
    await api.expect(409, 'POST', `/inventory/reservations/${holdId}/extend`, { by: 60 });
    await api.expect(200, 'POST', '/inventory/release', { reservationId: holdId });
    await api.untilHoldClosed(holdId);
    return holdId;
  },
  async 'stock-hold-expired'(api) {
    const holdId = await api.hold(1, 1);
    await api.untilHoldClosed(holdId); // its timer gives the units back
    return holdId;
  },
  async 'stock-hold-rejected'(api) {
    // Keyed, so the refused hold's id (and workflow) is known: nothing is written for a refusal.
    const key = `record-${randomUUID()}`;
    const refused = await api.call('POST', '/inventory/reserve', api.holdBody(10_000), KEYS.admin, { 'Idempotency-Key': key });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    const holdId = holdIdForIdempotencyKey({ role: 'admin', subject: null, method: 'api-key' }, key);
    await api.untilHoldClosed(holdId);
    return holdId;
  },
  async 'stock-hold-adopted'(api) {
    // What an order saga's adoptHold activity sends: the order is placed on the hold's units.
    const holdId = await api.hold(2);
    const order: ReserveStockInput = {
      orderId: randomUUID(),
      customerId: CUSTOMER,
      quote: { lines: [{ productId: PRODUCT, warehouseId: null, quantity: 2, unitPrice: 1999, lineTotal: 3998 }], subtotal: 3998, discount: 0, total: 3998, currency: 'USD' },
      shippingAddress: '1 Main St',
      voucherCode: null,
      requestHash: 'recorded-adoption',
      expiresAt: new Date(Date.now() + 60_000).toISOString(),
    };
    await api.holdWorkflow(holdId).executeUpdate(adoptHoldUpdate, { args: [order], updateId: `adopt:${order.orderId}` });
    assert.equal((await api.expect<HoldJson>(200, 'GET', `/inventory/reservations/${holdId}`)).status, 'converted');
    await api.untilHoldClosed(holdId);
    // No saga follows this order: it is cancelled by hand so the books balance.
    await createInventoryActivities(api.stack.database.db).releaseStock(order.orderId, 'cancelled');
    await createOrderActivities(api.stack.database.db).setOrderStatus(order.orderId, 'cancelled', 'recorded without a saga');
    return holdId;
  },
  async 'stock-hold-workflow-cancelled'(api) {
    const holdId = await api.hold(1);
    await api.holdWorkflow(holdId).cancel(); // support staff in the Web UI
    await api.untilHoldClosed(holdId);
    assert.equal((await api.expect<HoldJson>(200, 'GET', `/inventory/reservations/${holdId}`)).status, 'released');
    return holdId;
  },
};

/** Need a short RESERVATION_TTL, so they run on a stack of their own. */
const expiryScenarios: Record<string, Scenario> = {
  async expiry(api) {
    const orderId = await api.place(1);
    await api.untilClosed(orderId); // the hold lapses on its own
    return orderId;
  },
  async 'lost-charge-expired'(api) {
    const orderId = await api.place(1);
    await api.expect(503, 'POST', `/orders/${orderId}/payment`, { paymentToken: 'tok_lost' });
    await api.untilClosed(orderId);
    assert.equal((await api.expect<OrderJson>(200, 'GET', `/orders/${orderId}`)).status, 'expired');
    return orderId;
  },
};

class OrderApi {
  constructor(readonly stack: Stack) {}

  async call(method: string, path: string, body?: unknown, key: string = KEYS.admin, headers: Record<string, string> = {}): Promise<ApiAnswer> {
    const response = await fetch(`${this.stack.api}${path}`, {
      method,
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as ApiAnswer['body'] };
  }

  async expect<T = unknown>(status: number, method: string, path: string, body?: unknown, key?: string): Promise<T> {
    const answer = await this.call(method, path, body, key);
    assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
    return answer.body.data as T;
  }

  async seedCatalog(): Promise<void> {
    await this.expect(201, 'PUT', `/customers/${CUSTOMER}`, { email: 'alice@example.com', status: 'active' });
    await this.expect(201, 'PUT', `/vouchers/${VOUCHER}`, { kind: 'percent', value: 10, active: true });
    await this.expect(201, 'PUT', `/warehouses/${WAREHOUSE}`, { name: 'East', priority: 1 });
    await this.expect(201, 'PUT', `/warehouses/${SECOND_WAREHOUSE}`, { name: 'West', priority: 2 });
    await this.stock(PRODUCT, 'Mug', { [WAREHOUSE]: 100 });
    await this.stock(SPLIT_PRODUCT, 'Kettle', { [WAREHOUSE]: 3, [SECOND_WAREHOUSE]: 5 });
  }

  async stock(productId: string, name: string, onHand: Record<string, number>, price = 1999): Promise<void> {
    await this.expect(201, 'PUT', `/products/${productId}`, { name, price, currency: 'USD', active: true });
    for (const [warehouseId, units] of Object.entries(onHand)) {
      await this.expect(200, 'PUT', `/inventory/${productId}/${warehouseId}`, { onHand: units, lowStockThreshold: 0 });
    }
  }

  orderBody(quantity: number, productId = PRODUCT, voucherCode?: string) {
    return {
      customerId: CUSTOMER,
      items: [{ productId, warehouseId: WAREHOUSE, quantity }],
      shippingAddress: '1 Main St',
      ...(voucherCode ? { voucherCode } : {}),
    };
  }

  /**
   * A saga that redeemed the voucher and then found the stock short, so gave the voucher back.
   * The availability check answers without locks, so only orders racing for the last unit get
   * past it and lose at the reservation; races are run until one did.
   */
  async voucherReleasedAfterShortStock(): Promise<string> {
    for (let round = 1; round <= 20; round++) {
      const productId = `sku-last-lamp-${round}`;
      await this.stock(productId, 'Lamp', { [WAREHOUSE]: 1 });
      const answers = await Promise.all(
        Array.from({ length: 8 }, () => this.call('POST', '/orders', this.orderBody(1, productId, VOUCHER))),
      );
      assert.deepEqual(
        [...new Set(answers.map((answer) => answer.status))].sort(),
        [201, 409],
        'one order takes the last unit, the others are refused',
      );
      const [lost] = await this.stack.database.sql<{ id: string }[]>`
        select o.id from orders o join voucher_redemptions r on r.order_id = o.id
        where o.status = 'rejected' and r.status = 'released'`;
      if (lost) {
        await this.untilClosed(lost.id);
        return lost.id;
      }
    }
    throw new Error('no order lost the race at the reservation in 20 rounds');
  }

  holdBody(quantity: number, expiresIn?: number) {
    return { customerId: CUSTOMER, items: [{ productId: PRODUCT, quantity }], ...(expiresIn ? { expiresIn } : {}) };
  }

  /** Holds `quantity` mugs for the customer; returns the hold's id. */
  async hold(quantity: number, expiresIn?: number): Promise<string> {
    return (await this.expect<HoldJson>(201, 'POST', '/inventory/reserve', this.holdBody(quantity, expiresIn))).reservationId;
  }

  holdWorkflow(holdId: string): WorkflowHandle {
    return this.stack.client.workflow.getHandle(holdWorkflowIdFor(holdId));
  }

  async untilHoldClosed(holdId: string): Promise<void> {
    await this.untilWorkflowClosed(this.holdWorkflow(holdId));
  }

  async place(quantity: number): Promise<string> {
    const order = await this.expect<OrderJson>(201, 'POST', '/orders', this.orderBody(quantity));
    return order.id;
  }

  async shipAndDeliver(deliveryOrderIds: string[]): Promise<void> {
    for (const step of ['ship', 'deliver']) {
      for (const id of deliveryOrderIds) {
        await this.expect(200, 'POST', `/delivery-orders/${id}/${step}`, undefined, KEYS.warehouse);
      }
    }
  }

  saga(orderId: string): WorkflowHandle {
    return this.stack.client.workflow.getHandle(workflowIdFor(orderId));
  }

  /** Waits until the read model shows the order in `status`. */
  async untilStatus(orderId: string, status: string): Promise<void> {
    for (let tries = 0; tries < 200; tries++) {
      if ((await this.expect<OrderJson>(200, 'GET', `/orders/${orderId}`)).status === status) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.fail(`order ${orderId} never became ${status}`);
  }

  /** Waits until the saga has closed, however it ended. */
  async untilClosed(orderId: string): Promise<void> {
    await this.untilWorkflowClosed(this.saga(orderId));
  }

  async untilWorkflowClosed(handle: WorkflowHandle): Promise<void> {
    await handle.result().catch(() => undefined);
    const { status } = await handle.describe();
    assert.notEqual(status.name, 'RUNNING');
  }

  async record(name: string, handle: WorkflowHandle): Promise<void> {
    const history = await handle.fetchHistory();
    const file = join(HISTORIES_DIR, `${name}.json`);
    writeFileSync(file, `${historyToJSON(history)}\n`);
    console.log(`[record] ${name}: ${history.events?.length ?? 0} events → ${file}`);
  }
}

/** The scenarios named on the command line, or all of them. */
const wanted = new Set(process.argv.slice(2));

async function recordOn(
  startRecordingStack: () => Promise<Stack>,
  scenarios: Record<string, Scenario>,
  workflowOf: (api: OrderApi, id: string) => WorkflowHandle = (api, orderId) => api.saga(orderId),
): Promise<void> {
  const toRecord = Object.entries(scenarios).filter(([name]) => wanted.size === 0 || wanted.has(name));
  if (toRecord.length === 0) return;
  const stack = await startRecordingStack();
  const api = new OrderApi(stack);
  try {
    await api.seedCatalog();
    for (const [name, scenario] of toRecord) {
      await api.record(name, workflowOf(api, await scenario(api)));
    }
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  mkdirSync(HISTORIES_DIR, { recursive: true });
  try {
    // Payments answer (or are given up on) within a second, so lost charges record quickly.
    await recordOn(() => startStack({ env: { RETURN_WINDOW, PAYMENT_TIMEOUT: '1s' } }), scenarios);
    // Long enough for the three unanswered attempts of a lost charge before the hold lapses.
    await recordOn(() => startStack({ env: { RESERVATION_TTL: '8s', PAYMENT_TIMEOUT: '1s' } }), expiryScenarios);
    await recordOn(() => startStack(), holdScenarios, (api, holdId) => api.holdWorkflow(holdId));
  } finally {
    await runTeardown();
  }
}

main().catch((err) => {
  console.error('[record] failed:', err);
  process.exitCode = 1;
});
