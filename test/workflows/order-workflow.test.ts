import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { ActivityFailure } from '@temporalio/common';
import { WorkflowFailedError } from '@temporalio/client';
import { DomainError } from '../../domain/errors';
import { fromTemporalFailure } from '../../domain/failure';
import {
  cancelUpdate,
  CustomerIdAttribute,
  deliveredSignal,
  OrderStatusAttribute,
  payUpdate,
  returnUpdate,
  shippedSignal,
  shipUpdate,
  stateQuery,
} from '../../workflows/messages';
import { Worker } from '@temporalio/worker';
import { sharedWorkflowBundle, startTimeSkippingServer } from '../support/temporal';
import { CallLog, FakeProvider, Gate, UNIT_PRICE } from './fake-activities';
import {
  assertCancelled,
  DAY,
  FIFTEEN_MINUTES,
  refusalOf,
  rejection,
  SagaDriver,
  workflowHarness,
  type OrderHandle,
} from './saga-driver';

describe('orderWorkflow (time-skipping, stub activities)', function () {
  const harness = workflowHarness();
  const { withWorker, runWorker } = harness;

  it('places the order with Update-with-Start and holds the stock for the reservation TTL', async function () {
    await withWorker({}, async (saga) => {
      const { state, handle } = await saga.place();

      assert.equal(state.status, 'awaiting_payment');
      assert.deepEqual(saga.log.names(), ['validateCustomer', 'checkAvailability', 'reserveStock']);
      const [reservation] = saga.log.argsOf('reserveStock')[0] as [{ expiresAt: string; quote: { total: number } }];
      assert.equal(reservation.quote.total, 2 * UNIT_PRICE);
      assert.equal(state.reservationExpiresAt, reservation.expiresAt);
      const { memo, typedSearchAttributes, startTime } = await handle.describe();
      const heldMs = Date.parse(reservation.expiresAt) - startTime.getTime();
      assert.ok(heldMs >= FIFTEEN_MINUTES && heldMs < FIFTEEN_MINUTES + 60_000, `held for ${heldMs} ms`);
      assert.deepEqual(memo, { total: 2 * UNIT_PRICE, currency: 'USD' });
      assert.equal(typedSearchAttributes.get(OrderStatusAttribute), 'awaiting_payment');
      assert.equal(typedSearchAttributes.get(CustomerIdAttribute), 'alice');
    });
  });

  it('expires an unpaid order after 15 minutes: the stock is released as expired', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place();

      // Time skipping runs the durable 15-minute timer while we wait for the result.
      const final = await handle.result();

      assert.equal(final.status, 'expired');
      const { startTime, closeTime } = await handle.describe();
      assert.ok(closeTime && closeTime.getTime() - startTime.getTime() >= FIFTEEN_MINUTES, 'expired before the hold lapsed');
      assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'expired']]);
      assert.deepEqual(saga.log.argsOf('setOrderStatus'), [[input.orderId, 'expired', null]]);
      assert.deepEqual(saga.log.argsOf('chargePayment'), []);
      assert.equal((await handle.query(stateQuery)).status, 'expired');
    });
  });

  it('retries a failing compensation until it succeeds instead of skipping it', async function () {
    await withWorker({ releaseOutages: 2 }, async (saga) => {
      const { handle, input } = await saga.place();

      const final = await handle.result();

      assert.equal(final.status, 'expired');
      assert.deepEqual(saga.log.argsOf('releaseStock'), Array(3).fill([input.orderId, 'expired']));
      assert.deepEqual(saga.log.argsOf('setOrderStatus'), [[input.orderId, 'expired', null]]);
    });
  });

  it('cancels an unpaid order: releases the stock and answers with the cancelled order', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place();

      const state = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] });

      assert.equal(state.status, 'cancelled');
      assert.equal(state.cancelReason, 'changed my mind');
      assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'cancelled']]);
      assert.deepEqual(saga.log.argsOf('setOrderStatus'), [[input.orderId, 'cancelled', 'changed my mind']]);
      assert.equal((await handle.result()).status, 'cancelled');
    });
  });

  it('keeps a declined order payable; the next attempt uses a new idempotency key and confirms it', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place();

      const declined = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_decline_card' }] }));
      assert.equal(declined.code, 'PAYMENT_DECLINED');
      assert.equal((await handle.query(stateQuery)).status, 'awaiting_payment');

      const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });

      assert.equal(paid.status, 'confirmed');
      assert.equal(paid.paymentAttempts, 2);
      assert.deepEqual(paid.deliveryOrderIds, [`${input.orderId}-do-1`]);
      const keys = saga.log.argsOf('chargePayment').map(([charge]) => (charge as { idempotencyKey: string }).idempotencyKey);
      assert.deepEqual(keys, [`${input.orderId}:payment:1`, `${input.orderId}:payment:2`]);
      assert.deepEqual(saga.log.names().slice(-3), ['commitStock', 'createDeliveryOrders', 'setOrderStatus']);
      assert.deepEqual(saga.log.argsOf('releaseStock'), []);
    });
  });

  it('expires an order whose only payment was declined, settling its attempt before the stock goes back', async function () {
    const provider = new FakeProvider();
    await withWorker({ provider }, async (saga) => {
      const { handle, input } = await saga.place();
      await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_decline' }] }));

      const final = await handle.result();

      assert.equal(final.status, 'expired');
      assert.deepEqual(
        saga.log.calls.filter((call) => call.name === 'settlePayments' || call.name === 'releaseStock').map((call) => [call.name, ...call.args]),
        [['settlePayments', input.orderId], ['releaseStock', input.orderId, 'expired']],
      );
      assert.equal(provider.total(), 0);
      assert.deepEqual(saga.log.argsOf('commitStock'), []);
    });
  });

  it('answers PAYMENT_UNAVAILABLE when the provider stays silent, retrying one key, and stays payable', async function () {
    await withWorker({ lateAnswerMs: 1_000 }, async (saga) => {
      const { handle, input } = await saga.place(saga.input({ paymentTimeoutMs: 200 }));

      const unavailable = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_timeout' }] }));

      assert.equal(unavailable.code, 'PAYMENT_UNAVAILABLE');
      const keys = saga.log.argsOf('chargePayment').map(([charge]) => (charge as { idempotencyKey: string }).idempotencyKey);
      assert.deepEqual(keys, Array(3).fill(`${input.orderId}:payment:1`));
      const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      assert.equal(paid.status, 'confirmed');
    });
  });

  it('lets exactly one of a racing pay and cancel win; the loser gets 409 and the side effects are the winner’s', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place();

      const [pay, cancel] = await Promise.allSettled([
        handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] }),
        handle.executeUpdate(cancelUpdate, { args: [{ reason: null }] }),
      ]);

      assert.equal([pay, cancel].filter((outcome) => outcome.status === 'fulfilled').length, 1);
      if (pay.status === 'fulfilled') {
        assert.equal(pay.value.status, 'confirmed');
        assert.equal((await refusalOf(Promise.reject(rejection(cancel)))).code, 'ORDER_NOT_CANCELLABLE');
        assert.equal(saga.log.argsOf('chargePayment').length, 1);
        assert.deepEqual(saga.log.argsOf('commitStock'), [[input.orderId]]);
        assert.deepEqual(saga.log.argsOf('releaseStock'), []);
      } else {
        assert.equal(cancel.status === 'fulfilled' && cancel.value.status, 'cancelled');
        assert.equal((await refusalOf(Promise.reject(rejection(pay)))).code, 'ORDER_NOT_PAYABLE');
        assert.deepEqual(saga.log.argsOf('chargePayment'), []);
        assert.deepEqual(saga.log.argsOf('commitStock'), []);
        assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'cancelled']]);
      }
    });
  });

  it('makes a cancel that arrives during a charge wait for its outcome, then refuses it', async function () {
    const chargeGate = new Gate();
    await withWorker({ chargeGate }, async (saga) => {
      const { handle } = await saga.place();
      const paying = handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      await chargeGate.reached;

      const cancelling = await handle.startUpdate(cancelUpdate, { args: [{ reason: null }], waitForStage: 'ACCEPTED' });
      chargeGate.open();

      assert.equal((await paying).status, 'confirmed');
      assert.equal((await refusalOf(cancelling.result())).code, 'ORDER_NOT_CANCELLABLE');
      assert.deepEqual(saga.log.argsOf('releaseStock'), []);
    });
  });

  it('refuses pay once the order is confirmed, and cancel once a delivery order has shipped', async function () {
    await withWorker({}, async (saga) => {
      const { handle } = await saga.place();
      const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: null }] });
      const shipped = await handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId: paid.deliveryOrderIds[0]! }] });
      assert.equal(shipped.status, 'shipped');

      assert.equal((await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: null }] }))).code, 'ORDER_NOT_PAYABLE');
      assert.equal((await refusalOf(handle.executeUpdate(cancelUpdate, { args: [{ reason: null }] }))).code, 'ORDER_NOT_CANCELLABLE');
      assert.equal(saga.log.argsOf('chargePayment').length, 1);
      assert.deepEqual(saga.log.argsOf('settlePayments'), []);
      assert.deepEqual(saga.log.argsOf('restockStock'), []);
      assert.equal((await handle.query(stateQuery)).status, 'shipped');
    });
  });

  it('runs the compensations in reverse order when the workflow itself is cancelled after payment', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place();
      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      const before = saga.log.calls.length;

      await handle.cancel();
      await assertCancelled(handle);

      const compensations = saga.log.calls.slice(before);
      assert.deepEqual(
        compensations.map((call) => [call.name, ...call.args]),
        [
          ['cancelDeliveryOrders', input.orderId],
          ['restockStock', input.orderId],
          ['settlePayments', input.orderId],
          ['releaseStock', input.orderId, 'cancelled'],
          ['setOrderStatus', input.orderId, 'cancelled', 'the order workflow was cancelled'],
        ],
      );
    });
  });

  it('releases the stock and records cancelled when the workflow is cancelled before payment', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place();

      await handle.cancel();
      await assertCancelled(handle);

      assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'cancelled']]);
      assert.deepEqual(saga.log.argsOf('refundPayment'), []);
      assert.deepEqual(saga.log.argsOf('setOrderStatus'), [[input.orderId, 'cancelled', 'the order workflow was cancelled']]);
    });
  });

  it('finishes placing when the workflow is cancelled meanwhile, then gives everything back and ends cancelled', async function () {
    const availabilityGate = new Gate();
    // A server of its own: once an activity completes for a closed saga, as this one's does, the
    // time-skipping test server never skips time again, and later tests wait on 30-day timers.
    const server = await startTimeSkippingServer();
    try {
      await withWorker({ availabilityGate }, async (saga) => {
        const input = saga.input();
        const placing = saga.place(input);
        placing.catch(() => undefined); // settles while the test is still busy
        await availabilityGate.reached;

        await saga.handleFor(input).cancel();
        availabilityGate.open();
        await assertCancelled(saga.handleFor(input));

        // The local placing steps are not cancelled (a cancelled local activity can replay out
        // of order): the reservation is made, then the cancel unwinds it.
        const names = saga.log.names();
        assert.deepEqual(names.slice(0, 3), ['validateCustomer', 'checkAvailability', 'reserveStock']);
        assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'cancelled']]);
        assert.deepEqual(saga.log.argsOf('setOrderStatus'), [[input.orderId, 'cancelled', 'the order workflow was cancelled']]);
        assert.equal((await saga.handleFor(input).query(stateQuery)).status, 'cancelled');
        // The history replays: a fresh worker rebuilds the saga from it.
        const history = await saga.handleFor(input).fetchHistory();
        await Worker.runReplayHistory({ workflowBundle: await sharedWorkflowBundle() }, history, input.orderId);
      }, server);
    } finally {
      await server.teardown();
    }
  });

  it('waits for a charge in flight before compensating a cancelled workflow, and gives the money back', async function () {
    const chargeGate = new Gate();
    const provider = new FakeProvider();
    await withWorker({ chargeGate, provider }, async (saga) => {
      const { handle, input } = await saga.place();
      // Its outcome does not matter here (the workflow is cancelled under it); only the compensations do.
      const paying = handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] }).catch(() => undefined);
      await chargeGate.reached;

      await handle.cancel();
      chargeGate.open();
      await assertCancelled(handle);
      await paying;

      assert.deepEqual(
        saga.log.names().filter((name) => name === 'settlePayments' || name === 'releaseStock'),
        ['settlePayments', 'releaseStock'],
      );
      assert.equal(provider.total(), 0);
      assert.deepEqual(saga.log.argsOf('commitStock'), []);
      assert.deepEqual(saga.log.argsOf('setOrderStatus').at(-1), [input.orderId, 'cancelled', 'the order workflow was cancelled']);
    });
  });

  it('fails placeOrder with INSUFFICIENT_INVENTORY when stock is short, and records the rejected order in the same task', async function () {
    const short = { productId: 'sku-mug', warehouseId: 'wh-east', requested: 2, available: 1 };
    const refusal = new DomainError('INSUFFICIENT_INVENTORY', 'not enough stock', { items: [short] });
    await withWorker({ refusal }, async (saga) => {
      const input = saga.input();

      const refused = await refusalOf(saga.place(input));

      assert.equal(refused.code, 'INSUFFICIENT_INVENTORY');
      assert.deepEqual(refused.details, { items: [short] });
      // One local step gives back and records (local-refusal): no activity round trips after it.
      assert.deepEqual(saga.log.names(), ['validateCustomer', 'checkAvailability', 'rejectPlacement']);
      const [rejected] = saga.log.argsOf('rejectPlacement')[0] as [{ orderId: string; failure: unknown }];
      assert.equal(rejected.orderId, input.orderId);
      assert.deepEqual(rejected.failure, { code: 'INSUFFICIENT_INVENTORY', message: 'not enough stock', details: { items: [short] } });
      const final = await saga.handleFor(input).result();
      assert.equal(final.status, 'rejected');
      assert.deepEqual(final.failure, { code: 'INSUFFICIENT_INVENTORY', message: 'not enough stock' });
    });
  });

  it('answers a repeated placeOrder with the same order, and refuses one with another body as IDEMPOTENCY_KEY_REUSED', async function () {
    await withWorker({}, async (saga) => {
      const { input, state } = await saga.place();

      const repeat = await saga.place(input);
      const reused = await refusalOf(saga.place(input, 'hash-of-another-body'));

      assert.deepEqual(repeat.state, state);
      assert.equal(reused.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.equal(saga.log.argsOf('reserveStock').length, 1);
      assert.equal((await repeat.handle.query(stateQuery)).status, 'awaiting_payment');
    });
  });

  it('applies shipments reported as signals (older API versions) in order: shipped once all are, then delivered', async function () {
    await withWorker({ warehouses: 2 }, async (saga) => {
      const { handle, input } = await saga.place();
      const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: null }] });
      const [first, second] = paid.deliveryOrderIds as [string, string];

      await handle.signal(shippedSignal, { deliveryOrderId: first });
      await handle.signal(shippedSignal, { deliveryOrderId: first }); // a repeat changes nothing
      await handle.signal(shippedSignal, { deliveryOrderId: 'someone-elses-delivery-order' });
      await handle.signal(shippedSignal, { deliveryOrderId: second });
      await handle.signal(deliveredSignal, { deliveryOrderId: first });
      await handle.signal(deliveredSignal, { deliveryOrderId: second });
      const final = await handle.result();

      assert.equal(final.status, 'delivered');
      const afterPayment = saga.log.calls
        .filter((call) => call.name === 'markDeliveryOrder' || call.name === 'setOrderStatus')
        .map((call) => [call.name, ...call.args]);
      assert.deepEqual(afterPayment, [
        ['setOrderStatus', input.orderId, 'confirmed', null],
        ['markDeliveryOrder', first, 'shipped'],
        ['markDeliveryOrder', second, 'shipped'],
        ['setOrderStatus', input.orderId, 'shipped', null],
        ['markDeliveryOrder', first, 'delivered'],
        ['markDeliveryOrder', second, 'delivered'],
        ['setOrderStatus', input.orderId, 'delivered', null],
      ]);
      const { typedSearchAttributes } = await handle.describe();
      assert.equal(typedSearchAttributes.get(OrderStatusAttribute), 'delivered');
    });
  });

  it('rejects the order of a customer who may not order, before anything is priced or reserved', async function () {
    // rejectPlacement also gives back what an earlier attempt of a repeated workflow task may
    // have reserved; with nothing held that is a no-op.
    const customerRefusal = new DomainError('CUSTOMER_NOT_ALLOWED', 'customer alice is blocked');
    await withWorker({ customerRefusal }, async (saga) => {
      const input = saga.input();

      const refused = await refusalOf(saga.place(input));

      assert.equal(refused.code, 'CUSTOMER_NOT_ALLOWED');
      assert.deepEqual(saga.log.names(), ['validateCustomer', 'rejectPlacement']);
      assert.deepEqual(saga.log.argsOf('validateCustomer'), [['alice', input.orderId]]);
      const final = await saga.handleFor(input).result();
      assert.equal(final.status, 'rejected');
      assert.deepEqual(final.failure, { code: 'CUSTOMER_NOT_ALLOWED', message: 'customer alice is blocked' });
    });
  });

  it('takes and gives back nothing as a second saga over an order another run placed, and fails', async function () {
    // A run that is not the order's own (started by hand, or by a reset to the first task): its
    // releases would give back the first run's holds and voucher redemption.
    await withWorker({ placedByAnother: true }, async (saga) => {
      const input = saga.input({ voucherCode: 'SPRING10' });

      const refused = await refusalOf(saga.place(input));

      assert.equal(refused.code, 'INVENTORY_UNAVAILABLE');
      assert.deepEqual(saga.log.names(), ['validateCustomer', 'cancelUnfinishedPlacement']);
      await assert.rejects(saga.handleFor(input).result());
    });
  });

  it('prices the voucher discount into the reservation, the memo and the charge', async function () {
    await withWorker({ discount: 300 }, async (saga) => {
      const { handle, input } = await saga.place(saga.input({ voucherCode: 'SPRING10' }));

      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });

      assert.deepEqual(saga.log.names().slice(0, 4), ['validateCustomer', 'checkAvailability', 'redeemVoucher', 'reserveStock']);
      const [redemption] = saga.log.argsOf('redeemVoucher')[0] as [{ orderId: string; code: string; subtotal: number; currency: string }];
      assert.deepEqual(
        { orderId: redemption.orderId, code: redemption.code, subtotal: redemption.subtotal, currency: redemption.currency },
        { orderId: input.orderId, code: 'SPRING10', subtotal: 2 * UNIT_PRICE, currency: 'USD' },
      );
      const [reservation] = saga.log.argsOf('reserveStock')[0] as [{ quote: { discount: number; total: number } }];
      assert.deepEqual([reservation.quote.discount, reservation.quote.total], [300, 2 * UNIT_PRICE - 300]);
      const [charge] = saga.log.argsOf('chargePayment')[0] as [{ amount: number }];
      assert.equal(charge.amount, 2 * UNIT_PRICE - 300);
      assert.deepEqual((await handle.describe()).memo, { total: 2 * UNIT_PRICE - 300, currency: 'USD' });
    });
  });

  it('gives the redeemed voucher back when the stock is short, and rejects the order', async function () {
    const short = { productId: 'sku-mug', warehouseId: 'wh-east', requested: 2, available: 0 };
    const reserveRefusal = new DomainError('INSUFFICIENT_INVENTORY', 'not enough stock', { items: [short] });
    await withWorker({ reserveRefusal }, async (saga) => {
      const input = saga.input({ voucherCode: 'SPRING10' });

      const refused = await refusalOf(saga.place(input));

      assert.equal(refused.code, 'INSUFFICIENT_INVENTORY');
      assert.deepEqual(saga.log.names(), [
        'validateCustomer',
        'checkAvailability',
        'redeemVoucher',
        'reserveStock',
        'rejectPlacement',
      ]);
      const [rejected] = saga.log.argsOf('rejectPlacement')[0] as [{ orderId: string; voucherCode: string }];
      assert.deepEqual([rejected.orderId, rejected.voucherCode], [input.orderId, 'SPRING10']);
      assert.equal((await saga.handleFor(input).result()).status, 'rejected');
    });
  });

  it('falls back on the durable compensations when the local rejection fails for good, and still answers the refusal', async function () {
    const short = { productId: 'sku-mug', warehouseId: 'wh-east', requested: 2, available: 0 };
    const reserveRefusal = new DomainError('INSUFFICIENT_INVENTORY', 'not enough stock', { items: [short] });
    await withWorker({ reserveRefusal, rejectPlacementFailure: true }, async (saga) => {
      const input = saga.input({ voucherCode: 'SPRING10' });

      const refused = await refusalOf(saga.place(input));

      assert.equal(refused.code, 'INSUFFICIENT_INVENTORY');
      assert.deepEqual(saga.log.names().slice(-4), ['rejectPlacement', 'releaseStock', 'releaseVoucher', 'rejectOrder']);
      assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'compensation']]);
      const final = await saga.handleFor(input).result();
      assert.equal(final.status, 'rejected');
      assert.deepEqual(final.failure, { code: 'INSUFFICIENT_INVENTORY', message: 'not enough stock' });
    });
  });

  it('cancels a paid order before shipment: every compensation runs, newest first, then it is cancelled', async function () {
    await withWorker({ warehouses: 2 }, async (saga) => {
      const { handle, input } = await saga.place(saga.input({ voucherCode: 'SPRING10' }));
      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      const before = saga.log.calls.length;

      const state = await handle.executeUpdate(cancelUpdate, { args: [{ reason: 'found it cheaper' }] });

      assert.equal(state.status, 'cancelled');
      assert.equal(state.cancelReason, 'found it cheaper');
      assert.deepEqual(
        saga.log.calls.slice(before).map((call) => [call.name, ...call.args]),
        [
          ['cancelDeliveryOrders', input.orderId],
          ['restockStock', input.orderId],
          ['settlePayments', input.orderId],
          ['releaseStock', input.orderId, 'cancelled'],
          ['releaseVoucher', input.orderId],
          ['setOrderStatus', input.orderId, 'cancelled', 'found it cheaper'],
        ],
      );
      assert.equal((await handle.result()).status, 'cancelled');
    });
  });

  it('cancels the order after the third declined payment, and that payment still answers PAYMENT_DECLINED', async function () {
    const provider = new FakeProvider();
    await withWorker({ provider }, async (saga) => {
      const { handle, input } = await saga.place();

      const declines = [];
      for (let attempt = 1; attempt <= 3; attempt++) {
        declines.push(await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_decline' }] })));
      }

      assert.deepEqual(declines.map((refusal) => refusal.code), Array(3).fill('PAYMENT_DECLINED'));
      // The third answer came once the stock was given back.
      assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'cancelled']]);
      assert.deepEqual(saga.log.argsOf('setOrderStatus'), [[input.orderId, 'cancelled', 'payment declined 3 times']]);
      const keys = saga.log.argsOf('chargePayment').map(([charge]) => (charge as { idempotencyKey: string }).idempotencyKey);
      assert.deepEqual(keys, [1, 2, 3].map((n) => `${input.orderId}:payment:${n}`));
      // Settled by every key it charged with, and the next one, so none can still land.
      assert.deepEqual(saga.log.argsOf('settlePayments'), [[input.orderId]]);
      assert.deepEqual(provider.settledKeys, [[1, 2, 3, 4].map((n) => `${input.orderId}:payment:${n}`)]);
      const final = await handle.result();
      assert.equal(final.status, 'cancelled');
      assert.equal(final.cancelReason, 'payment declined 3 times');
    });
  });

  it('reuses the idempotency key after PAYMENT_UNAVAILABLE and takes a new one only after a decline', async function () {
    await withWorker({ lateAnswerMs: 1_000 }, async (saga) => {
      const { handle, input } = await saga.place(saga.input({ paymentTimeoutMs: 200 }));

      const unavailable = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_timeout' }] }));
      const declined = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_decline' }] }));
      const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });

      assert.deepEqual([unavailable.code, declined.code, paid.status], ['PAYMENT_UNAVAILABLE', 'PAYMENT_DECLINED', 'confirmed']);
      const keys = saga.log.argsOf('chargePayment').map(([charge]) => (charge as { idempotencyKey: string }).idempotencyKey);
      const [first, second] = [1, 2].map((n) => `${input.orderId}:payment:${n}`);
      // Three tries of the silent attempt, the declined attempt on the same key, then a new key.
      assert.deepEqual(keys, [first, first, first, first, second]);
      assert.equal(paid.paymentAttempts, 3);
    });
  });

  it('takes a partial return and then the rest, refunding each; the order ends returned without waiting for the window', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place(saga.input({ returnWindowMs: 7 * DAY }));
      await saga.deliver(handle);

      const first = await handle.executeUpdate(returnUpdate, {
        args: [{ returnId: 'return-1', items: [{ productId: 'sku-mug', warehouseId: 'wh-east', quantity: 1 }], reason: 'chipped' }],
      });
      const between = await handle.query(stateQuery);
      const rest = await handle.executeUpdate(returnUpdate, { args: [{ returnId: 'return-2', items: null, reason: null }] });

      assert.deepEqual(first, { returnId: 'return-1', refundAmount: UNIT_PRICE });
      assert.equal(between.status, 'delivered');
      assert.equal(Date.parse(between.returnWindowEndsAt!) - Date.parse(between.deliveredAt!), 7 * DAY);
      assert.deepEqual(rest, { returnId: 'return-2', refundAmount: UNIT_PRICE });
      assert.deepEqual(saga.log.argsOf('refundPartial'), [
        [{ orderId: input.orderId, amount: UNIT_PRICE, idempotencyKey: 'return:return-1' }],
        [{ orderId: input.orderId, amount: UNIT_PRICE, idempotencyKey: 'return:return-2' }],
      ]);
      assert.deepEqual(saga.log.argsOf('setOrderStatus').at(-1), [input.orderId, 'returned', null]);
      const final = await handle.result();
      assert.equal(final.status, 'returned');
      const { startTime, closeTime } = await handle.describe();
      assert.ok(closeTime && closeTime.getTime() - startTime.getTime() < DAY, 'the saga waited for the window to close');
    });
  });

  it('refuses to take back more than is still returnable before anything is recorded, and refunds nothing for it', async function () {
    await withWorker({}, async (saga) => {
      const { handle } = await saga.place();
      await saga.deliver(handle);
      const mugs = (quantity: number) => [{ productId: 'sku-mug', warehouseId: 'wh-east', quantity }];
      await handle.executeUpdate(returnUpdate, { args: [{ returnId: 'return-1', items: mugs(1), reason: null }] });

      const refused = await refusalOf(handle.executeUpdate(returnUpdate, { args: [{ returnId: 'return-2', items: mugs(2), reason: null }] }));

      assert.equal(refused.code, 'RETURN_NOT_ALLOWED');
      assert.match(refused.message, /2 × sku-mug from wh-east, 1 left/);
      // Refused by the validator: nothing reached recordReturn, nothing was added to the history.
      assert.equal(saga.log.argsOf('recordReturn').length, 1);
      assert.equal(saga.log.argsOf('refundPartial').length, 1);
      assert.equal((await handle.query(stateQuery)).status, 'delivered');
    });
  });

  it('refuses a return before delivery, and of goods the order never held, without recording anything', async function () {
    await withWorker({}, async (saga) => {
      const { handle } = await saga.place();
      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: null }] });
      const early = await refusalOf(handle.executeUpdate(returnUpdate, { args: [{ returnId: 'return-1', items: null, reason: null }] }));
      await saga.deliver(handle);

      const stranger = await refusalOf(
        handle.executeUpdate(returnUpdate, {
          args: [{ returnId: 'return-2', items: [{ productId: 'sku-mug', warehouseId: 'wh-west', quantity: 1 }], reason: null }],
        }),
      );

      assert.deepEqual([early.code, stranger.code], ['RETURN_NOT_ALLOWED', 'RETURN_NOT_ALLOWED']);
      assert.deepEqual(saga.log.argsOf('recordReturn'), []);
    });
  });

  it('ends the saga when the 30-day return window closes, on a durable timer', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input } = await saga.place(); // without returnWindowMs, like a saga started before returns
      await saga.deliver(handle);

      // Time skipping runs the window's timer while we wait for the result.
      const final = await handle.result();

      assert.equal(final.status, 'delivered');
      assert.equal(Date.parse(final.returnWindowEndsAt!) - Date.parse(final.deliveredAt!), 30 * DAY);
      const { closeTime } = await handle.describe();
      assert.ok(closeTime && closeTime.getTime() >= Date.parse(final.returnWindowEndsAt!), 'ended before the window closed');
      assert.deepEqual(saga.log.argsOf('setOrderStatus').at(-1), [input.orderId, 'delivered', null]);
    });
  });

  it('refuses a return that arrives together with the closing of the window (validator), and ends delivered', async function () {
    const saga = new SagaDriver(harness.env, `order-workflow-test-${randomUUID()}`, new CallLog());
    try {
      let handle: OrderHandle | undefined;
      let windowEndsAt = 0;
      await runWorker(saga, {}, async () => {
        ({ handle } = await saga.place());
        await saga.deliver(handle);
        windowEndsAt = Date.parse((await handle.query(stateQuery)).returnWindowEndsAt!);
      }, { uncached: true });
      // No worker now. Skip to just before the window closes, then let its timer fire in real
      // time: the saga hears of the timer only together with the late return, so the validator
      // must judge by the clock. (The test server stops skipping once a workflow task is due.)
      await harness.env.sleep(windowEndsAt - (await harness.env.currentTimeMs()) - 1_000);
      await setTimeout(2_000);
      const late = refusalOf(handle!.executeUpdate(returnUpdate, { args: [{ returnId: 'return-1', items: null, reason: null }] }));

      await runWorker(saga, {}, async () => {
        const refused = await late;
        assert.equal(refused.code, 'RETURN_NOT_ALLOWED');
        assert.match(refused.message, /return window closed/);
        assert.equal((await handle!.result()).status, 'delivered');
      });
      assert.deepEqual(saga.log.argsOf('recordReturn'), []);
    } finally {
      await saga.terminateOpenSagas();
    }
  });

  it('compensates a failure it has no answer for, records the order cancelled as failed, and fails the saga', async function () {
    await withWorker({ commitFailure: true }, async (saga) => {
      const { handle, input } = await saga.place();

      const paying = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] }).then(
        () => assert.fail('the payment of a failed saga was answered as confirmed'),
        (err: unknown) => err,
      );

      // The payer still gets a contract answer (never a 500): the order is no longer payable.
      assert.equal(fromTemporalFailure(paying)?.code, 'ORDER_NOT_PAYABLE');
      await assert.rejects(handle.result(), (err) => err instanceof WorkflowFailedError && err.cause instanceof ActivityFailure);
      const afterCommit = saga.log.calls.slice(saga.log.names().indexOf('commitStock') + 1);
      assert.deepEqual(
        afterCommit.map((call) => [call.name, ...call.args]),
        [
          ['settlePayments', input.orderId],
          ['releaseStock', input.orderId, 'compensation'],
          ['setOrderStatus', input.orderId, 'cancelled', 'failed: commitStock'],
        ],
      );
      const state = await handle.query(stateQuery);
      assert.deepEqual([state.status, state.cancelReason], ['cancelled', 'failed: commitStock']);
    });
  });
});

