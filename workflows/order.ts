/**
 * OrderWorkflow: one saga per order (workflow id `order-<orderId>`). It checks the customer,
 * redeems the voucher, reserves the stock, holds it for payment on a durable timer, takes payment,
 * deducts the stock and follows the delivery, then takes returns until the return window closes;
 * a refusal, a cancel, the expiry, a failure or a cancelled workflow gives back what was taken,
 * until the first shipment: from there only a return gives goods and money back.
 *
 * This file registers the handlers and reads like the process; the run's state and guards are in
 * OrderRun, each phase in a module of its own. Deterministic code only.
 *
 * Sagas started by older code must replay unchanged, so each behaviour change is behind a patch:
 * - `customer-check`: validateCustomer before anything else;
 * - `cancel-after-payment`: restockStock and cancelDeliveryOrders pushed once stock is deducted,
 *   and with them the late cancel (a saga without those compensations cannot be cancelled after payment);
 * - `cancel-after-declines`: the saga cancels itself after the third declined payment;
 * - `return-window`: after delivery the saga stays open for returns until the window closes;
 * - `unknown-outcomes-first` (placing.ts): releases pushed before the redemption and the hold;
 * - `settle-before-charge`, `free-orders` (payment.ts): a lost charge is found out and given back;
 *   a free order is confirmed without a charge; `settle-every-key`: the settlement is told every
 *   key the saga charged with, so an attempt still running unseen is voided too;
 * - `point-of-no-return` (fulfilment.ts): the first shipment cuts the stack, and a cancelled
 *   workflow no longer unwinds a shipped order;
 * - `local-placing` (placing.ts): the placing steps run as local activities in one workflow task;
 *   `local-refusal`: a refusal there is settled in that task too, by one local rejectPlacement;
 *   `foreign-order-untouched`: a run over an order another run placed takes and gives back nothing;
 * - `extendable-reservation` (extension.ts): a payment in the hold's last minute extends it. The
 *   `extendReservation` update refuses sagas whose input carries no extension limits (older ones).
 */
import { CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { compensateAfter, giveBack, requestCancel, validateCancel } from './compensation';
import { extendReservation, validateExtension } from './extension';
import { confirm, followDeliveries, moveDeliveryOrder, pastNoReturnIgnoringCancel, validateMove } from './fulfilment';
import {
  cancelUpdate,
  deliveredSignal,
  deliverUpdate,
  extendReservationUpdate,
  payUpdate,
  placeOrderUpdate,
  returnUpdate,
  shippedSignal,
  shipUpdate,
  stateQuery,
  type OrderState,
  type PlaceOrderInput,
} from './messages';
import { OrderRun, contractFailure } from './order-run';
import { awaitPaymentCancelOrExpiry, takePayment, validatePayment } from './payment';
import { placeOrder } from './placing';
import { acceptReturns, takeReturn, validateReturn } from './returns';

export async function orderWorkflow(input: PlaceOrderInput): Promise<OrderState> {
  const run = new OrderRun(input);

  setHandler(
    placeOrderUpdate,
    async () => {
      // Update-with-Start answers once the stock is reserved, or with the refusal.
      await run.shielded(() => condition(() => run.state.status !== 'pending'));
      if (run.refusal) throw run.refusal;
      if (run.state.status === 'cancelled') throw run.sagaEnded('INVENTORY_UNAVAILABLE');
      return run.snapshot();
    },
    {
      validator: ({ requestHash }) => {
        if (requestHash !== input.requestHash) {
          throw contractFailure('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
        }
      },
    },
  );
  setHandler(payUpdate, (request) => takePayment(run, request), { validator: (_request) => validatePayment(run) });
  setHandler(cancelUpdate, (request) => requestCancel(run, request), { validator: (_request) => validateCancel(run) });
  setHandler(extendReservationUpdate, (request) => extendReservation(run, request), {
    validator: (request) => validateExtension(run, request),
  });
  setHandler(shipUpdate, (move) => moveDeliveryOrder(run, move, 'shipped'), {
    validator: (move) => validateMove(run, move, 'shipped'),
  });
  setHandler(deliverUpdate, (move) => moveDeliveryOrder(run, move, 'delivered'), {
    validator: (move) => validateMove(run, move, 'delivered'),
  });
  setHandler(returnUpdate, (request) => takeReturn(run, request), { validator: (request) => validateReturn(run, request) });
  // Queued, not handled here: the main flow applies them in arrival order once the order is confirmed.
  setHandler(shippedSignal, ({ deliveryOrderId }) => void run.reportedMoves.push({ deliveryOrderId, move: 'shipped' }));
  setHandler(deliveredSignal, ({ deliveryOrderId }) => void run.reportedMoves.push({ deliveryOrderId, move: 'delivered' }));
  setHandler(stateQuery, () => run.snapshot());

  run.enter('pending');
  try {
    if (await placeOrder(run)) {
      const settled = await awaitPaymentCancelOrExpiry(run);
      if (settled.outcome === 'paid') {
        await confirm(run);
        const cancelled = await pastNoReturnIgnoringCancel(run, () => followDeliveries(run));
        if (cancelled) await giveBack(run, { outcome: 'cancelled', reason: cancelled.reason });
        else if (run.returnsOpen) await pastNoReturnIgnoringCancel(run, () => acceptReturns(run));
      } else {
        await giveBack(run, settled);
      }
    }
  } catch (err) {
    await CancellationScope.nonCancellable(() => compensateAfter(run, err));
    throw err;
  }
  return await run.finish();
}
