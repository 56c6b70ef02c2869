/**
 * Records the histories the replay test (test/replay.test.ts) replays: real sagas, placed and
 * driven through the real API, against a real database, a real `temporal server start-dev` and
 * the real worker. Run `npm run record:histories` after a deliberate, patched() change to the
 * workflow, and commit what it writes to test/fixtures/histories/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { WorkflowHandle } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { workflowIdFor } from '../domain/order';
import { KEYS, startStack, type Stack } from '../test/support/stack';
import { runTeardown } from '../test/support/teardown';

const HISTORIES_DIR = join(__dirname, '..', 'test', 'fixtures', 'histories');
const PRODUCT = 'sku-mug';
const WAREHOUSE = 'wh-east';

interface ApiAnswer {
  status: number;
  body: { data?: unknown; error?: { code: string; message: string } };
}

interface OrderJson {
  id: string;
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
  async 'workflow-cancelled-after-payment'(api) {
    const orderId = await api.place(1);
    await api.expect(200, 'POST', `/orders/${orderId}/payment`, { paymentToken: null });
    await api.saga(orderId).cancel();
    await api.untilClosed(orderId);
    return orderId;
  },
};

/** Needs a short RESERVATION_TTL, so it runs on a stack of its own. */
const expiryScenario: Scenario = async (api) => {
  const orderId = await api.place(1);
  await api.untilClosed(orderId); // the 2s hold lapses on its own
  return orderId;
};

class OrderApi {
  constructor(readonly stack: Stack) {}

  async call(method: string, path: string, body?: unknown, key: string = KEYS.admin): Promise<ApiAnswer> {
    const response = await fetch(`${this.stack.api}${path}`, {
      method,
      headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
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
    await this.expect(201, 'PUT', `/products/${PRODUCT}`, { name: 'Mug', price: 1999, currency: 'USD', active: true });
    await this.expect(201, 'PUT', `/warehouses/${WAREHOUSE}`, { name: 'East', priority: 1 });
    await this.expect(200, 'PUT', `/inventory/${PRODUCT}/${WAREHOUSE}`, { onHand: 100, lowStockThreshold: 5 });
  }

  orderBody(quantity: number) {
    return {
      customerId: 'alice',
      items: [{ productId: PRODUCT, warehouseId: WAREHOUSE, quantity }],
      shippingAddress: '1 Main St',
    };
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

  /** Waits until the saga has closed, however it ended. */
  async untilClosed(orderId: string): Promise<void> {
    await this.saga(orderId)
      .result()
      .catch(() => undefined);
    const { status } = await this.saga(orderId).describe();
    assert.notEqual(status.name, 'RUNNING');
  }

  async record(name: string, orderId: string): Promise<void> {
    const history = await this.saga(orderId).fetchHistory();
    const file = join(HISTORIES_DIR, `${name}.json`);
    writeFileSync(file, `${historyToJSON(history)}\n`);
    console.log(`[record] ${name}: ${history.events?.length ?? 0} events → ${file}`);
  }
}

async function recordOn(stack: Stack, toRecord: Record<string, Scenario>): Promise<void> {
  const api = new OrderApi(stack);
  try {
    await api.seedCatalog();
    for (const [name, scenario] of Object.entries(toRecord)) {
      await api.record(name, await scenario(api));
    }
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  mkdirSync(HISTORIES_DIR, { recursive: true });
  try {
    await recordOn(await startStack(), scenarios);
    await recordOn(await startStack({ env: { RESERVATION_TTL: '2s' } }), { expiry: expiryScenario });
  } finally {
    await runTeardown();
  }
}

main().catch((err) => {
  console.error('[record] failed:', err);
  process.exitCode = 1;
});
