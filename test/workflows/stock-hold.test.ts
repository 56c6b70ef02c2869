import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { CancelledFailure } from '@temporalio/common';
import { WithStartWorkflowOperation, WorkflowFailedError, type WorkflowHandle } from '@temporalio/client';
import type { ReserveStockInput } from '../../activities/inventory';
import { DomainError } from '../../domain/errors';
import { holdWorkflowIdFor } from '../../domain/holds';
import type { OrderLineRequest } from '../../domain/order';
import { CustomerIdAttribute, HoldIdAttribute, HoldStatusAttribute } from '../../workflows/messages';
import type { stockHoldWorkflow } from '../../workflows/stock-hold';
import {
  adoptHoldUpdate,
  extendHoldUpdate,
  holdStateQuery,
  placeHoldUpdate,
  releaseHoldUpdate,
  STOCK_HOLD_WORKFLOW_TYPE,
  type HoldState,
  type StockHoldInput,
} from '../../workflows/stock-hold-messages';
import { CallLog, DEFAULT_WAREHOUSE, Gate, quoteFor, type FakeActivityOptions } from './fake-activities';
import { FIFTEEN_MINUTES, refusalOf, SagaDriver, workflowHarness } from './saga-driver';

type HoldHandle = WorkflowHandle<typeof stockHoldWorkflow>;

const ITEMS: OrderLineRequest[] = [{ productId: 'sku-mug', warehouseId: DEFAULT_WAREHOUSE, quantity: 2 }];
const TEN_MINUTES = 10 * 60_000;

/** Places holds the way the API does (Update-with-Start) on one worker's task queue. */
class HoldDriver {
  private readonly handles: HoldHandle[] = [];

  constructor(readonly saga: SagaDriver) {}

  get log(): CallLog {
    return this.saga.log;
  }

  input(overrides: Partial<StockHoldInput> = {}): StockHoldInput {
    return {
      holdId: randomUUID(),
      customerId: 'alice',
      items: ITEMS,
      expiresInMs: FIFTEEN_MINUTES,
      maxTtlMs: 2 * 60 * 60_000,
      maxExtensions: 1,
      metadata: {},
      ...overrides,
    };
  }

  async place(input: StockHoldInput = this.input()): Promise<{ state: HoldState; handle: HoldHandle; input: StockHoldInput }> {
    const handle = this.saga.env.client.workflow.getHandle<typeof stockHoldWorkflow>(holdWorkflowIdFor(input.holdId));
    this.handles.push(handle);
    const state = await this.saga.env.client.workflow.executeUpdateWithStart(placeHoldUpdate, {
      args: [],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof stockHoldWorkflow>(STOCK_HOLD_WORKFLOW_TYPE, {
        workflowId: holdWorkflowIdFor(input.holdId),
        taskQueue: this.saga.taskQueue,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      }),
    });
    return { state, handle, input };
  }

  async terminateOpenHolds(): Promise<void> {
    for (const handle of this.handles) {
      if ((await handle.describe()).status.name === 'RUNNING') await handle.terminate('test finished');
    }
  }
}

/** An order's reservation request for these items, as the order saga would send it. */
function orderFor(items: OrderLineRequest[] = ITEMS, customerId = 'alice'): ReserveStockInput {
  return {
    orderId: randomUUID(),
    customerId,
    quote: quoteFor(items),
    shippingAddress: '1 Main St',
    voucherCode: null,
    requestHash: 'hash',
    expiresAt: new Date(Date.now() + FIFTEEN_MINUTES).toISOString(),
  };
}

describe('stockHoldWorkflow (time-skipping, stub activities)', function () {
  const harness = workflowHarness();

  async function withHolds(options: FakeActivityOptions, body: (holds: HoldDriver) => Promise<void>): Promise<void> {
    const saga = new SagaDriver(harness.env, `stock-hold-test-${randomUUID()}`, new CallLog());
    const holds = new HoldDriver(saga);
    try {
      await harness.runWorker(saga, options, () => body(holds));
    } finally {
      await holds.terminateOpenHolds();
    }
  }

  it('answers Update-with-Start once the stock is held, with search attributes staff can filter by', async function () {
    await withHolds({}, async (holds) => {
      const { state, handle, input } = await holds.place();

      assert.equal(state.status, 'active');
      assert.deepEqual(state.lines, [{ productId: 'sku-mug', warehouseId: DEFAULT_WAREHOUSE, quantity: 2 }]);
      assert.deepEqual(holds.log.names(), ['validateCustomer', 'reserveHold']);
      const { typedSearchAttributes, startTime } = await handle.describe();
      assert.equal(typedSearchAttributes.get(HoldStatusAttribute), 'active');
      assert.equal(typedSearchAttributes.get(HoldIdAttribute), input.holdId);
      assert.equal(typedSearchAttributes.get(CustomerIdAttribute), 'alice');
      const heldMs = Date.parse(state.expiresAt!) - startTime.getTime();
      assert.ok(heldMs >= FIFTEEN_MINUTES && heldMs < FIFTEEN_MINUTES + 60_000, `held for ${heldMs} ms`);
    });
  });

  it('expires on its durable timer: the units go back as expired', async function () {
    await withHolds({}, async (holds) => {
      const { handle, input } = await holds.place();

      const final = await handle.result();

      assert.equal(final.status, 'expired');
      const { startTime, closeTime } = await handle.describe();
      assert.ok(closeTime!.getTime() - startTime.getTime() >= FIFTEEN_MINUTES, 'expired before its time');
      assert.deepEqual(holds.log.argsOf('releaseHold'), [[input.holdId, 'expired']]);
    });
  });

  it('refuses with the reservation refusal and holds nothing', async function () {
    const refusal = new DomainError('INSUFFICIENT_INVENTORY', 'not enough stock', { items: [] });
    await withHolds({ holdRefusal: refusal }, async (holds) => {
      const input = holds.input();
      const refused = await refusalOf(holds.place(input));

      assert.equal(refused.code, 'INSUFFICIENT_INVENTORY');
      const final = await holds.saga.env.client.workflow.getHandle<typeof stockHoldWorkflow>(holdWorkflowIdFor(input.holdId)).result();
      assert.equal(final.status, 'rejected');
      assert.deepEqual(holds.log.argsOf('releaseHold'), []);
    });
  });

  it('releases once when two releases race; both answer with the released hold', async function () {
    await withHolds({}, async (holds) => {
      const { handle, input } = await holds.place();

      const answers = await Promise.all([handle.executeUpdate(releaseHoldUpdate), handle.executeUpdate(releaseHoldUpdate)]);

      assert.deepEqual(answers.map((state) => state.status), ['released', 'released']);
      assert.deepEqual(holds.log.argsOf('releaseHold'), [[input.holdId, 'released']]);
      assert.equal((await handle.result()).status, 'released');
    });
  });

  it('extends once, never past the ceiling, and then expires at the new time', async function () {
    await withHolds({}, async (holds) => {
      const { handle, state } = await holds.place();

      const extended = await handle.executeUpdate(extendHoldUpdate, { args: [{ byMs: TEN_MINUTES }] });
      assert.equal(Date.parse(extended.expiresAt!), Date.parse(state.expiresAt!) + TEN_MINUTES);
      assert.equal(extended.extensions, 1);
      const again = await refusalOf(handle.executeUpdate(extendHoldUpdate, { args: [{ byMs: TEN_MINUTES }] }));
      assert.equal(again.code, 'HOLD_NOT_EXTENDABLE');

      const final = await handle.result();
      assert.equal(final.status, 'expired');
      const { startTime, closeTime } = await handle.describe();
      assert.ok(closeTime!.getTime() - startTime.getTime() >= FIFTEEN_MINUTES + TEN_MINUTES, 'expired at the old time');
    });
  });

  it('keeps the hold when its expiry fires while an extension is being written', async function () {
    const extendGate = new Gate();
    await withHolds({ extendGate }, async (holds) => {
      const { handle, state } = await holds.place();
      await holds.saga.env.sleep(FIFTEEN_MINUTES - 1_000);

      const extending = handle.executeUpdate(extendHoldUpdate, { args: [{ byMs: TEN_MINUTES }] });
      await extendGate.reached;
      await holds.saga.env.sleep(5_000); // the old expiry passes; the timer waits for the lock
      extendGate.open();
      const extended = await extending;

      assert.equal(extended.status, 'active');
      assert.equal(Date.parse(extended.expiresAt!), Date.parse(state.expiresAt!) + TEN_MINUTES);
      assert.equal((await handle.query(holdStateQuery)).status, 'active');
      assert.deepEqual(holds.log.argsOf('releaseHold'), []);
      assert.equal((await handle.result()).status, 'expired');
    });
  });

  it('refuses HOLD_NOT_ACTIVE to an extension that arrives while the expiry gives the units back', async function () {
    const releaseGate = new Gate();
    await withHolds({ releaseGate }, async (holds) => {
      const { handle } = await holds.place();
      const ending = handle.result();
      await releaseGate.reached;

      const refused = await refusalOf(handle.executeUpdate(extendHoldUpdate, { args: [{ byMs: TEN_MINUTES }] }));
      releaseGate.open();

      assert.equal(refused.code, 'HOLD_NOT_ACTIVE');
      assert.equal((await ending).status, 'expired');
      assert.deepEqual(holds.log.argsOf('extendHold'), []);
    });
  });

  describe('adopt', function () {
    it("converts the hold for the order and answers the order's reservation", async function () {
      await withHolds({}, async (holds) => {
        const { handle, input } = await holds.place();
        const order = orderFor([{ productId: 'sku-mug', warehouseId: null, quantity: 2 }]);

        const reserved = await handle.executeUpdate(adoptHoldUpdate, { args: [order] });

        assert.equal(reserved.orderId, order.orderId);
        assert.deepEqual(holds.log.argsOf('convertHold'), [[input.holdId, order]]);
        const final = await handle.result();
        assert.deepEqual([final.status, final.convertedOrderId], ['converted', order.orderId]);
        assert.equal((await handle.describe()).typedSearchAttributes.get(HoldStatusAttribute), 'converted');
        assert.deepEqual(holds.log.argsOf('releaseHold'), []);
      });
    });

    it('refuses HOLD_MISMATCH for other items or another customer, and the hold stays active', async function () {
      await withHolds({}, async (holds) => {
        const { handle } = await holds.place();

        for (const order of [
          orderFor([{ productId: 'sku-mug', warehouseId: null, quantity: 3 }]),
          orderFor([{ productId: 'sku-cup', warehouseId: null, quantity: 2 }]),
          orderFor(ITEMS, 'bob'),
        ]) {
          assert.equal((await refusalOf(handle.executeUpdate(adoptHoldUpdate, { args: [order] }))).code, 'HOLD_MISMATCH');
        }
        assert.equal((await handle.query(holdStateQuery)).status, 'active');
        assert.deepEqual(holds.log.argsOf('convertHold'), []);
      });
    });

    it('lets one of two racing orders convert the hold; the other gets HOLD_NOT_ACTIVE, a repeat the same answer', async function () {
      const convertGate = new Gate();
      await withHolds({ convertGate }, async (holds) => {
        const { handle } = await holds.place();
        const [first, second] = [orderFor(), orderFor()];

        const winning = handle.executeUpdate(adoptHoldUpdate, { args: [first], updateId: `adopt:${first.orderId}` });
        await convertGate.reached;
        const losing = refusalOf(handle.executeUpdate(adoptHoldUpdate, { args: [second] }));
        const repeat = handle.executeUpdate(adoptHoldUpdate, { args: [first], updateId: `adopt:${first.orderId}` });
        convertGate.open();

        assert.equal((await winning).orderId, first.orderId);
        assert.equal((await repeat).orderId, first.orderId);
        assert.equal((await losing).code, 'HOLD_NOT_ACTIVE');
        assert.equal(holds.log.argsOf('convertHold').length, 1);
      });
    });

    it('wins over a release that arrives while it converts: the release gets HOLD_NOT_ACTIVE, nothing is given back', async function () {
      const convertGate = new Gate();
      await withHolds({ convertGate }, async (holds) => {
        const { handle } = await holds.place();
        const order = orderFor();

        const adopting = handle.executeUpdate(adoptHoldUpdate, { args: [order] });
        await convertGate.reached;
        const releasing = refusalOf(handle.executeUpdate(releaseHoldUpdate));
        convertGate.open();

        assert.equal((await adopting).orderId, order.orderId);
        assert.equal((await releasing).code, 'HOLD_NOT_ACTIVE');
        assert.deepEqual(holds.log.argsOf('releaseHold'), []);
        assert.equal((await handle.result()).status, 'converted');
      });
    });

    it('wins over the expiry that fires while it converts: the units are never given back', async function () {
      const convertGate = new Gate();
      await withHolds({ convertGate }, async (holds) => {
        const { handle } = await holds.place();
        await holds.saga.env.sleep(FIFTEEN_MINUTES - 1_000);

        const adopting = handle.executeUpdate(adoptHoldUpdate, { args: [orderFor()] });
        await convertGate.reached;
        await holds.saga.env.sleep(5_000);
        convertGate.open();

        await adopting;
        assert.equal((await handle.result()).status, 'converted');
        assert.deepEqual(holds.log.argsOf('releaseHold'), []);
      });
    });

    it('refuses HOLD_NOT_ACTIVE to an order arriving while the expiry gives the units back', async function () {
      const releaseGate = new Gate();
      await withHolds({ releaseGate }, async (holds) => {
        const { handle } = await holds.place();
        const ending = handle.result();
        await releaseGate.reached;

        const refused = await refusalOf(handle.executeUpdate(adoptHoldUpdate, { args: [orderFor()] }));
        releaseGate.open();

        assert.equal(refused.code, 'HOLD_NOT_ACTIVE');
        assert.equal((await ending).status, 'expired');
        assert.deepEqual(holds.log.argsOf('convertHold'), []);
      });
    });
  });

  it('gives the units back when the workflow is cancelled from the Web UI', async function () {
    await withHolds({}, async (holds) => {
      const { handle, input } = await holds.place();

      await handle.cancel();

      await assert.rejects(handle.result(), (err) => err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure);
      assert.deepEqual(holds.log.argsOf('releaseHold'), [[input.holdId, 'released']]);
    });
  });
});
