import assert from 'node:assert/strict';
import { cancelUpdate, extendReservationUpdate, payUpdate, stateQuery, type PlaceOrderInput } from '../../workflows/messages';
import { chargeBoundMs } from '../../domain/payment';
import { Gate } from './fake-activities';
import { FIFTEEN_MINUTES, refusalOf, workflowHarness, type SagaDriver } from './saga-driver';

const MINUTE = 60_000;
/** HOLD_MAX_TTL and RESERVATION_MAX_EXTENSIONS as the API passes them, here 40 minutes and twice. */
const LIMITS = { maxTotalMs: 40 * MINUTE, maxCount: 2 };

describe('orderWorkflow: extending the reservation (time-skipping, stub activities)', function () {
  const harness = workflowHarness();
  const { withWorker } = harness;

  const extendable = (saga: SagaDriver, overrides: Partial<PlaceOrderInput> = {}) =>
    saga.input({ extensions: LIMITS, ...overrides });

  it('pushes the expiry out, records it on the hold, and expires the order only at the new time', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input, state } = await saga.place(extendable(saga));

      const extended = await handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: 10 * MINUTE }] });

      const expected = new Date(Date.parse(state.reservationExpiresAt!) + 10 * MINUTE).toISOString();
      assert.equal(extended.reservationExpiresAt, expected);
      assert.equal(extended.reservationExtensions, 1);
      assert.deepEqual(saga.log.argsOf('extendReservation'), [[input.orderId, expected]]);

      // Past the first expiry the order still waits for its payment.
      await harness.env.sleep(FIFTEEN_MINUTES + MINUTE);
      assert.equal((await handle.query(stateQuery)).status, 'awaiting_payment');

      const final = await handle.result();
      assert.equal(final.status, 'expired');
      const { startTime, closeTime } = await handle.describe();
      assert.ok(closeTime!.getTime() - startTime.getTime() >= 25 * MINUTE, 'expired before the extended hold lapsed');
    });
  });

  it('never extends past HOLD_MAX_TTL from placing, nor more often than allowed', async function () {
    await withWorker({}, async (saga) => {
      const { handle, state } = await saga.place(extendable(saga));
      const placedAt = Date.parse(state.reservationExpiresAt!) - FIFTEEN_MINUTES;

      const first = await handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: 2 * 60 * MINUTE }] });
      assert.equal(first.reservationExpiresAt, new Date(placedAt + LIMITS.maxTotalMs).toISOString(), 'capped at the limit');

      const atLimit = await refusalOf(handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] }));
      assert.equal(atLimit.code, 'RESERVATION_NOT_EXTENDABLE');
      assert.match(atLimit.message, /HOLD_MAX_TTL/);
    });

    await withWorker({}, async (saga) => {
      const { handle } = await saga.place(extendable(saga));
      for (let n = 0; n < LIMITS.maxCount; n++) await handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] });

      const tooOften = await refusalOf(handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] }));

      assert.equal(tooOften.code, 'RESERVATION_NOT_EXTENDABLE');
      assert.equal(saga.log.argsOf('extendReservation').length, LIMITS.maxCount);
    });
  });

  it('refuses to extend a paid order, and a saga placed before extensions existed', async function () {
    await withWorker({}, async (saga) => {
      const { handle } = await saga.place(extendable(saga));
      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      assert.equal((await refusalOf(handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] }))).code, 'RESERVATION_NOT_EXTENDABLE');

      const older = await saga.place(saga.input());
      const refused = await refusalOf(older.handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] }));
      assert.equal(refused.code, 'RESERVATION_NOT_EXTENDABLE');
      assert.match(refused.message, /before reservations could be extended/);
      assert.deepEqual(saga.log.argsOf('extendReservation'), []);
    });
  });

  it('lets an extension in flight when the hold lapses win: the expiry re-reads it and waits again', async function () {
    const extensionGate = new Gate();
    await withWorker({ extensionGate }, async (saga) => {
      const { handle, input } = await saga.place(extendable(saga));
      await harness.env.sleep(FIFTEEN_MINUTES - 2_000);
      const extension = handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: 10 * MINUTE }] });
      await extensionGate.reached;

      // The hold's timer fires while the extension holds the saga's lock (time does not skip
      // while an activity runs, so this waits in real time).
      await harness.env.sleep(4_000);
      extensionGate.open();
      const extended = await extension;

      assert.equal(extended.status, 'awaiting_payment');
      assert.equal((await handle.query(stateQuery)).status, 'awaiting_payment');
      assert.deepEqual(saga.log.argsOf('releaseStock'), [], 'nothing was released at the old expiry');
      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      assert.equal((await handle.query(stateQuery)).status, 'confirmed');
      assert.deepEqual(saga.log.argsOf('releaseStock'), []);
      assert.deepEqual(saga.log.argsOf('commitStock'), [[input.orderId]]);
    });
  });

  it('serialises an extension and a cancel: the extension in flight finishes, then the cancel gives the stock back once', async function () {
    const extensionGate = new Gate();
    await withWorker({ extensionGate }, async (saga) => {
      const { handle, input } = await saga.place(extendable(saga));
      const extension = handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: 10 * MINUTE }] });
      await extensionGate.reached;

      // The shopper cancels while the extension holds the saga's lock: accepted, and waiting for it.
      const cancel = handle.executeUpdate(cancelUpdate, { args: [{ reason: 'changed my mind' }] });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      assert.deepEqual(saga.log.argsOf('releaseStock'), [], 'the cancel waited for the extension');
      extensionGate.open();

      const [extended, cancelled] = await Promise.all([extension, cancel]);
      assert.equal(extended.status, 'awaiting_payment');
      assert.equal(extended.reservationExtensions, 1);
      assert.equal(cancelled.status, 'cancelled');
      const names = saga.log.names();
      assert.ok(names.lastIndexOf('extendReservation') < names.indexOf('releaseStock'), `in this order: ${names.join(', ')}`);
      assert.deepEqual(saga.log.argsOf('releaseStock'), [[input.orderId, 'cancelled']]);
      assert.equal((await handle.result()).status, 'cancelled');
      // Nothing extends a cancelled order (the API answers RESERVATION_NOT_EXTENDABLE for an ended saga).
      await assert.rejects(handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] }));
      assert.equal(saga.log.argsOf('extendReservation').length, 1);
    });
  });

  it('refuses an extension that arrives after the hold lapsed', async function () {
    await withWorker({}, async (saga) => {
      const { handle } = await saga.place(extendable(saga));
      await harness.env.sleep(FIFTEEN_MINUTES + MINUTE);
      assert.equal((await handle.result()).status, 'expired');

      // The saga has ended (the API answers RESERVATION_NOT_EXTENDABLE for it); nothing moves.
      await assert.rejects(handle.executeUpdate(extendReservationUpdate, { args: [{ byMs: MINUTE }] }));
      assert.deepEqual(saga.log.argsOf('extendReservation'), []);
      assert.deepEqual(saga.log.argsOf('releaseStock').length, 1);
    });
  });

  it('extends the hold once by itself when a payment starts in its last minute, before charging', async function () {
    await withWorker({}, async (saga) => {
      const { handle, input, state } = await saga.place(extendable(saga));
      await harness.env.sleep(FIFTEEN_MINUTES - 30_000);

      const declined = await refusalOf(handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_decline' }] }));
      assert.equal(declined.code, 'PAYMENT_DECLINED');
      const paid = await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });

      assert.equal(paid.status, 'confirmed');
      const extensions = saga.log.calls.filter((call) => call.name === 'extendReservation' || call.name === 'chargePayment');
      assert.deepEqual(
        extensions.map((call) => call.name),
        ['extendReservation', 'chargePayment', 'chargePayment'],
        'extended once, before the first charge, not again',
      );
      assert.deepEqual(saga.log.argsOf('extendReservation'), [
        [input.orderId, new Date(Date.parse(state.reservationExpiresAt!) + chargeBoundMs(input.paymentTimeoutMs)).toISOString()],
      ]);
    });
  });

  it('does not extend a hold whose payment starts with time to spare', async function () {
    await withWorker({}, async (saga) => {
      const { handle } = await saga.place(extendable(saga));
      await handle.executeUpdate(payUpdate, { args: [{ paymentToken: 'tok_visa' }] });
      assert.deepEqual(saga.log.argsOf('extendReservation'), []);
    });
  });
});
