import assert from 'node:assert/strict';
import { WorkflowFailedError } from '@temporalio/client';
import { ActivityFailure } from '@temporalio/common';
import { fromTemporalFailure } from '../../domain/failure';
import {
  cancelUpdate,
  deliverUpdate,
  payUpdate,
  returnUpdate,
  shippedSignal,
  shipUpdate,
  stateQuery,
} from '../../workflows/messages';
import { MAX_PAYMENT_ATTEMPTS, MAX_RETURNS } from '../../workflows/order-run';
import { FakeProvider, Gate, UNIT_PRICE, type CallLog } from './fake-activities';
import { refusalOf, rejection, untilState, workflowHarness } from './saga-driver';

/** The activity calls of one order, as [name, ...args], from a log several sagas share. */
function callsOf(log: CallLog, orderId: string): unknown[][] {
  return log.calls
    .filter((call) => JSON.stringify(call.args).includes(orderId))
    .map((call) => [call.name, ...call.args]);
}

const COMPENSATIONS = ['cancelDeliveryOrders', 'restockStock', 'settlePayments', 'releaseStock', 'releaseVoucher'];

describe('orderWorkflow races, unknown outcomes and the point of no return (time-skipping, stub activities)', function () {
  const { withWorker } = workflowHarness();

  describe('a shipment and a cancel of the same paid order', function () {
    it('never lets both win, whichever arrives first, over 12 orders', async function () {
      await withWorker({}, async (saga) => {
        const orders = await Promise.all(Array.from({ length: 12 }, () => saga.paid()));

        const outcomes = await Promise.all(
          orders.map(async ({ handle, state, input }, n) => {
            const ship = () => handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId: state.deliveryOrderIds[0]! }] });
            const cancel = () => handle.executeUpdate(cancelUpdate, { args: [{ reason: 'too slow' }] });
            // Alternate which request is sent first; both are in flight together.
            const [shipped, cancelled] = n % 2 === 0 ? await Promise.allSettled([ship(), cancel()]) : reversed(await Promise.allSettled([cancel(), ship()]));
            return { input, handle, shipped, cancelled };
          }),
        );

        for (const { input, handle, shipped, cancelled } of outcomes) {
          const winners = [shipped, cancelled].filter((outcome) => outcome.status === 'fulfilled');
          assert.equal(winners.length, 1, `order ${input.orderId}: both or neither won`);
          const calls = callsOf(saga.log, input.orderId);
          const final = await handle.query(stateQuery);
          if (shipped.status === 'fulfilled') {
            assert.equal(fromTemporalFailure(rejection(cancelled))?.code, 'ORDER_NOT_CANCELLABLE');
            assert.equal(final.status, 'shipped');
            assert.deepEqual(calls.filter(([name]) => COMPENSATIONS.includes(name as string)), [], 'a shipped order was compensated');
          } else {
            assert.equal(fromTemporalFailure(rejection(shipped))?.code, 'DELIVERY_ORDER_NOT_SHIPPABLE');
            assert.equal(final.status, 'cancelled');
            assert.deepEqual(calls.filter(([name]) => name === 'markDeliveryOrder'), [], 'a cancelled order was shipped');
          }
        }
      });
    });

    it('refuses a cancel while the shipment is being applied, then answers the shipment', async function () {
      const moveGate = new Gate();
      await withWorker({ moveGate }, async (saga) => {
        const { handle, state, input } = await saga.paid();
        const shipping = handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId: state.deliveryOrderIds[0]! }] });
        await moveGate.reached;

        const cancelled = await refusalOf(handle.executeUpdate(cancelUpdate, { args: [{ reason: null }] }));
        moveGate.open();

        assert.equal(cancelled.code, 'ORDER_NOT_CANCELLABLE');
        assert.equal((await shipping).status, 'shipped');
        assert.deepEqual(callsOf(saga.log, input.orderId).filter(([name]) => COMPENSATIONS.includes(name as string)), []);
      });
    });

    it('refuses a shipment while the cancel is giving everything back', async function () {
      const unwindGate = new Gate();
      await withWorker({ unwindGate }, async (saga) => {
        const { handle, state, input } = await saga.paid();
        const cancelling = handle.executeUpdate(cancelUpdate, { args: [{ reason: null }] });
        await unwindGate.reached;

        const shipped = await refusalOf(handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId: state.deliveryOrderIds[0]! }] }));
        unwindGate.open();

        assert.equal(shipped.code, 'DELIVERY_ORDER_NOT_SHIPPABLE');
        assert.equal((await cancelling).status, 'cancelled');
        assert.deepEqual(callsOf(saga.log, input.orderId).filter(([name]) => name === 'markDeliveryOrder'), []);
      });
    });

    it('refuses a cancel while a shipment reported by signal is still queued (it counts as applied)', async function () {
      const moveGate = new Gate();
      await withWorker({ moveGate, warehouses: 2 }, async (saga) => {
        const { handle, state } = await saga.paid();
        const [first, second] = state.deliveryOrderIds as [string, string];
        // The first move holds the lock; the signalled second one waits in the queue behind it.
        const shipping = handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId: first }] });
        await moveGate.reached;
        await handle.signal(shippedSignal, { deliveryOrderId: second });

        const cancelled = await refusalOf(handle.executeUpdate(cancelUpdate, { args: [{ reason: null }] }));
        moveGate.open();

        assert.equal(cancelled.code, 'ORDER_NOT_CANCELLABLE');
        await shipping;
        assert.equal((await untilState(handle, (s) => s.status === 'shipped', 'both shipped')).status, 'shipped');
      });
    });

    it('answers moves it cannot apply with the contract refusal: unknown, repeated, out of order', async function () {
      await withWorker({}, async (saga) => {
        const { handle, state } = await saga.paid();
        const deliveryOrderId = state.deliveryOrderIds[0]!;

        const unknown = await refusalOf(handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId: 'another-orders-delivery' }] }));
        const early = await refusalOf(handle.executeUpdate(deliverUpdate, { args: [{ deliveryOrderId }] }));
        await handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId }] });
        const again = await refusalOf(handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId }] }));
        const delivered = await handle.executeUpdate(deliverUpdate, { args: [{ deliveryOrderId }] });

        assert.deepEqual(
          [unknown.code, early.code, again.code],
          ['DELIVERY_ORDER_NOT_FOUND', 'DELIVERY_ORDER_NOT_DELIVERABLE', 'DELIVERY_ORDER_NOT_SHIPPABLE'],
        );
        assert.equal(delivered.status, 'delivered');
        assert.deepEqual(delivered.deliveryStages, { [deliveryOrderId]: 'delivered' });
      });
    });
  });

  describe('a charge whose answer was lost', function () {
    const lostInput = { paymentTimeoutMs: 200 };

    it('is given back when the order then expires', async function () {
      const provider = new FakeProvider();
      await withWorker({ provider }, async (saga) => {
        const { handle, input } = await saga.place(saga.input(lostInput));

        const lost = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_lost' }] }));
        assert.equal(lost.code, 'PAYMENT_UNAVAILABLE');
        assert.equal(provider.total(), 2 * UNIT_PRICE, 'the fake provider did not keep the lost charge');

        assert.equal((await handle.result()).status, 'expired');
        assert.equal(provider.total(), 0, 'an expired order kept a charge');
        const compensations = callsOf(saga.log, input.orderId).filter(([name]) => COMPENSATIONS.includes(name as string));
        assert.deepEqual(compensations, [['settlePayments', input.orderId], ['releaseStock', input.orderId, 'expired']]);
      });
    });

    it('is given back when the order is then cancelled', async function () {
      const provider = new FakeProvider();
      await withWorker({ provider }, async (saga) => {
        const { handle } = await saga.place(saga.input(lostInput));
        await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_lost' }] }));

        const cancelled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'gave up' }] });

        assert.equal(cancelled.status, 'cancelled');
        assert.equal(provider.total(), 0, 'a cancelled order kept a charge');
      });
    });

    it('is used by the next payment, under the same key, so the customer pays once', async function () {
      const provider = new FakeProvider();
      await withWorker({ provider }, async (saga) => {
        const { handle, input } = await saga.place(saga.input(lostInput));
        await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_lost' }] }));

        const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });

        assert.equal(paid.status, 'confirmed');
        assert.deepEqual([...provider.kept], [[`${input.orderId}:payment:1`, 2 * UNIT_PRICE]]);
        assert.deepEqual(saga.log.argsOf('settlePayments'), []);
      });
    });

    it(`takes at most ${MAX_PAYMENT_ATTEMPTS} payment attempts, then refuses more without a charge`, async function () {
      this.timeout(180_000);
      await withWorker({}, async (saga) => {
        const { handle } = await saga.place(saga.input(lostInput));
        for (let attempt = 0; attempt < MAX_PAYMENT_ATTEMPTS; attempt++) {
          assert.equal((await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_lost' }] }))).code, 'PAYMENT_UNAVAILABLE');
        }
        const calls = saga.log.argsOf('chargePayment').length;

        const refused = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] }));

        assert.equal(refused.code, 'ORDER_NOT_PAYABLE');
        assert.equal(saga.log.argsOf('chargePayment').length, calls);
        assert.equal((await handle.query(stateQuery)).status, 'awaiting_payment');
      });
    });
  });

  describe('the point of no return', function () {
    it('refuses a workflow cancel (the Web UI) after shipment: nothing restocked or refunded, the delivery goes on', async function () {
      await withWorker({}, async (saga) => {
        const { handle, state, input } = await saga.paid();
        const deliveryOrderId = state.deliveryOrderIds[0]!;
        await handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId }] });

        await handle.cancel();
        const delivered = await handle.executeUpdate(deliverUpdate, { args: [{ deliveryOrderId }] });

        assert.equal(delivered.status, 'delivered');
        const final = await handle.result();
        assert.equal(final.status, 'delivered');
        const calls = callsOf(saga.log, input.orderId);
        assert.deepEqual(calls.filter(([name]) => COMPENSATIONS.includes(name as string)), []);
        assert.ok(!calls.some(([name, , status]) => name === 'setOrderStatus' && status === 'cancelled'), 'a shipped order was recorded cancelled');
      });
    });

    it('refuses a workflow cancel after a partial return: only returns give goods and money back', async function () {
      await withWorker({}, async (saga) => {
        const { handle, input } = await saga.place();
        await saga.deliver(handle);
        const mug = { productId: 'sku-mug', warehouseId: 'wh-east', quantity: 1 };
        await handle.executeUpdate(returnUpdate, { args: [{ returnId: 'return-1', items: [mug], reason: null }] });

        await handle.cancel();
        const rest = await handle.executeUpdate(returnUpdate, { args: [{ returnId: 'return-2', items: null, reason: null }] });

        assert.deepEqual(rest, { returnId: 'return-2', refundAmount: UNIT_PRICE });
        assert.equal((await handle.result()).status, 'returned');
        const calls = callsOf(saga.log, input.orderId);
        assert.deepEqual(calls.filter(([name]) => COMPENSATIONS.includes(name as string)), []);
        assert.equal(saga.log.argsOf('refundPartial').length, 2);
      });
    });

    it(`takes at most ${MAX_RETURNS} returns of one order`, async function () {
      await withWorker({}, async (saga) => {
        const { handle } = await saga.place(saga.input({ items: [{ productId: 'sku-mug', warehouseId: 'wh-east', quantity: MAX_RETURNS + 1 }] }));
        await saga.deliver(handle);
        const mug = { productId: 'sku-mug', warehouseId: 'wh-east', quantity: 1 };
        for (let n = 1; n <= MAX_RETURNS; n++) {
          await handle.executeUpdate(returnUpdate, { args: [{ returnId: `return-${n}`, items: [mug], reason: null }] });
        }

        const refused = await refusalOf(handle.executeUpdate(returnUpdate, { args: [{ returnId: 'one-too-many', items: [mug], reason: null }] }));

        assert.equal(refused.code, 'RETURN_NOT_ALLOWED');
        assert.equal(saga.log.argsOf('recordReturn').length, MAX_RETURNS);
      });
    });
  });

  describe('unknown outcomes and failures that will not heal', function () {
    it('confirms an order whose total is 0 without calling the provider', async function () {
      await withWorker({ unitPrice: 0 }, async (saga) => {
        const { handle } = await saga.place();

        const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: null }] });

        assert.equal(paid.status, 'confirmed');
        assert.deepEqual(saga.log.argsOf('chargePayment'), []);
        assert.deepEqual(saga.log.argsOf('settlePayments'), []);
      });
    });

    it('releases the stock a failed reservation may have held, and answers the placement with a contract code', async function () {
      await withWorker({ reserveFailure: true }, async (saga) => {
        const input = saga.input();

        const refused = await refusalOf(saga.place(input));

        assert.equal(refused.code, 'INVENTORY_UNAVAILABLE');
        assert.deepEqual(saga.log.names(), [
          'validateCustomer',
          'checkAvailability',
          'reserveStock',
          'releaseStock',
          // and the order row, had the reservation committed, stops being payable
          'cancelUnfinishedPlacement',
        ]);
        assert.deepEqual(saga.log.argsOf('cancelUnfinishedPlacement'), [[input.orderId, 'failed: placing']]);
        await assert.rejects(saga.handleFor(input).result(), (err) => err instanceof WorkflowFailedError);
      });
    });

    it('runs every other compensation when one fails for good, records why, and fails the saga', async function () {
      await withWorker({ settleFailure: true }, async (saga) => {
        const { handle, input } = await saga.paid(saga.input({ voucherCode: 'SPRING10' }));

        const cancelled = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] });

        const compensations = callsOf(saga.log, input.orderId).filter(([name]) => COMPENSATIONS.includes(name as string));
        assert.deepEqual(compensations.map(([name]) => name), COMPENSATIONS);
        assert.equal(cancelled.status, 'cancelled');
        assert.equal(cancelled.cancelReason, 'failed: settlePayments');
        await assert.rejects(handle.result(), (err) => err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure);
      });
    });
  });
});

function reversed<T>([a, b]: [T, T]): [T, T] {
  return [b, a];
}

