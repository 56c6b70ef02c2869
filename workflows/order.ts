/**
 * OrderWorkflow: one saga per order (workflow id `order-<orderId>`). It checks the customer,
 * redeems the voucher, reserves the stock, holds it for payment on a durable timer, takes payment,
 * deducts the stock and follows the delivery, then takes returns until the return window closes;
 * a refusal, a cancel, the expiry, a failure or a cancelled workflow gives back what was taken.
 *
 * Deterministic code only: activities are reached through proxies, time is workflow time.
 *
 * Sagas started by older code must replay unchanged, so each new step is behind a patch:
 * - `customer-check`: validateCustomer before anything else;
 * - `cancel-after-payment`: restockStock and cancelDeliveryOrders pushed once stock is deducted,
 *   and with them the late cancel (a saga without those compensations cannot be cancelled after payment);
 * - `cancel-after-declines`: the saga cancels itself after the third declined payment;
 * - `return-window`: after delivery the saga stays open for returns until the window closes.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  patched,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReservedOrder } from '../activities/inventory';
import type { RecordedReturn } from '../activities/returns';
import { DomainError, type ErrorCode } from '../domain/errors';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import type { AllocatedLine, OrderStatus, Quote } from '../domain/order';
import type { ReleaseReason, StockLine } from '../domain/stock';
import { applyDiscount } from '../domain/voucher';
import { Compensations } from './compensations';
import { Lock } from './lock';
import {
  cancelOrder,
  CustomerIdAttribute,
  deliveryOrderDelivered,
  deliveryOrderShipped,
  getOrderState,
  OrderStatusAttribute,
  payOrder,
  placeOrder,
  returnOrder,
  type OrderState,
  type PlaceOrderInput,
  type ReturnOutcome,
  type ReturnRequest,
} from './messages';

// Database-backed steps: retried until they succeed, unless they refuse for a business reason.
const {
  validateCustomer,
  checkAvailability,
  redeemVoucher,
  releaseVoucher,
  reserveStock,
  releaseStock,
  commitStock,
  restockStock,
  rejectOrder,
  setOrderStatus,
  createDeliveryOrders,
  cancelDeliveryOrders,
  markDeliveryOrder,
  refundPayment,
  refundPartial,
  recordReturn,
} = proxyActivities<Activities>({ startToCloseTimeout: '30s' });

/** What settled an order that was awaiting payment. */
type Decision = { outcome: 'paid' } | { outcome: 'cancelled'; reason: string | null } | { outcome: 'expired' };

type DeliveryStage = 'reserved' | 'shipped' | 'delivered';
const STAGE_ORDER: readonly DeliveryStage[] = ['reserved', 'shipped', 'delivered'];
/** What the warehouse reports about one delivery order. */
interface DeliveryEvent {
  deliveryOrderId: string;
  stage: Exclude<DeliveryStage, 'reserved'>;
}

const OPERATOR_CANCEL_REASON = 'the order workflow was cancelled';
/** Declined payments an order survives; the next decline cancels it. */
const MAX_DECLINES = 3;
const DECLINED_CANCEL_REASON = `payment declined ${MAX_DECLINES} times`;
/** RETURN_WINDOW's default, for sagas started before the API passed returnWindowMs. */
const DEFAULT_RETURN_WINDOW_MS = 30 * 24 * 60 * 60_000;

export async function orderWorkflow(input: PlaceOrderInput): Promise<OrderState> {
  const { chargePayment } = proxyActivities<Activities>({
    startToCloseTimeout: input.paymentTimeoutMs,
    // Bounded: a payer is waiting on the `pay` update; when the provider stays silent they get
    // PAYMENT_UNAVAILABLE and may try again while the order is still payable.
    retry: { maximumAttempts: 3, initialInterval: '1s', nonRetryableErrorTypes: ['PAYMENT_DECLINED'] },
  });

  const state: OrderState = {
    orderId: input.orderId,
    status: 'pending',
    reservationExpiresAt: null,
    deliveryOrderIds: [],
    paymentAttempts: 0,
    cancelReason: null,
    failure: null,
    deliveredAt: null,
    returnWindowEndsAt: null,
  };
  const saga = new Compensations<ReleaseReason>();
  // Serialises pay, cancel, returns, the expiry and the end of the return window, so none of
  // them acts on an order a charge or a return in flight is still changing.
  const lock = new Lock();
  const deliveryEvents: DeliveryEvent[] = [];
  const stages = new Map<string, DeliveryStage>();
  let quote: Quote | undefined;
  // What reserveStock held, per warehouse; absent in sagas reserved before allocation existed.
  let allocation: AllocatedLine[] | undefined;
  let refusal: Error | undefined;
  let decision: Decision | undefined;
  let declines = 0;
  let lateCancelSupported = false;
  let lateCancel: { reason: string | null } | undefined;
  // Whether this saga takes returns: decided when the last delivery order is delivered, closed with the window.
  let returnsOpen = false;
  // Set once the saga is being unwound after a failure or a cancelled workflow: nothing more is accepted.
  let unwinding = false;

  const snapshot = (): OrderState => ({ ...state, deliveryOrderIds: [...state.deliveryOrderIds] });
  const awaitingPayment = () => state.status === 'awaiting_payment' && decision === undefined;
  const cancellableAfterPayment = () =>
    lateCancelSupported && state.status === 'confirmed' && lateCancel === undefined && !unwinding && !shipmentReported();
  // By the clock, not only the timer: a return may arrive in the same activation as the window's end.
  const returnable = () =>
    returnsOpen &&
    !unwinding &&
    state.status !== 'returned' &&
    state.returnWindowEndsAt != null &&
    Date.now() < Date.parse(state.returnWindowEndsAt);

  setHandler(
    placeOrder,
    async () => {
      // Update-with-Start answers once the stock is reserved, or with the refusal.
      await condition(() => state.status !== 'pending');
      if (refusal) throw refusal;
      if (state.status === 'cancelled') throw sagaEnded('INVENTORY_UNAVAILABLE');
      return snapshot();
    },
    {
      validator: ({ requestHash }) => {
        if (requestHash !== input.requestHash) {
          throw contractFailure('IDEMPOTENCY_KEY_REUSED', 'this Idempotency-Key was already used with a different request');
        }
      },
    },
  );

  setHandler(
    payOrder,
    async ({ paymentToken }) => {
      try {
        await lock.runExclusive(async () => {
          // Checked again under the lock: a racing cancel or the expiry may have won meanwhile.
          if (!awaitingPayment() || !quote) throw notPayable();
          state.paymentAttempts += 1;
          await charge(quote, paymentToken);
          saga.push(() => refundPayment(input.orderId));
          decision = { outcome: 'paid' };
        });
      } catch (err) {
        // The decline that used up the order's chances: the payer hears of the decline once the
        // stock is given back, so what they read next is the cancelled order.
        if (decision?.outcome === 'cancelled' && decision.reason === DECLINED_CANCEL_REASON) {
          await condition(() => state.status !== 'awaiting_payment');
        }
        throw err;
      }
      await condition(() => state.status !== 'awaiting_payment');
      if (state.status === 'cancelled') throw sagaEnded('ORDER_NOT_PAYABLE');
      return snapshot();
    },
    {
      validator: (_payment) => {
        if (!awaitingPayment()) throw notPayable();
      },
    },
  );

  setHandler(
    cancelOrder,
    async ({ reason }) => {
      await lock.runExclusive(async () => {
        // Checked again under the lock. A charge that was in flight may have succeeded: the cancel
        // that raced it loses with 409, as pay and cancel always race; a cancel sent once the
        // order is confirmed is a late cancel, compensated in full.
        if (awaitingPayment()) decision = { outcome: 'cancelled', reason };
        else if (cancellableAfterPayment()) lateCancel = { reason };
        else throw notCancellable();
      });
      await condition(() => state.status === 'cancelled');
      return snapshot();
    },
    {
      validator: (_cancel) => {
        if (!awaitingPayment() && !cancellableAfterPayment()) throw notCancellable();
      },
    },
  );

  setHandler(
    returnOrder,
    (request) =>
      lock.runExclusive(async () => {
        // The read model may already say delivered while the saga is still recording it.
        await condition(() => state.status === 'delivered' || state.status === 'returned' || unwinding);
        // Checked again under the lock: the window may have closed, or an earlier return took everything back.
        if (!returnable()) throw notReturnable();
        return await takeBack(request);
      }),
    {
      validator: ({ items }) => {
        if (!returnable()) throw notReturnable();
        const unknown = items && notInOrder(items);
        if (unknown) {
          throw contractFailure('RETURN_NOT_ALLOWED', `order ${input.orderId} did not deliver ${unknown}`);
        }
      },
    },
  );

  // Queued, not handled here: the main flow applies them in arrival order once the order is confirmed.
  setHandler(deliveryOrderShipped, ({ deliveryOrderId }) => void deliveryEvents.push({ deliveryOrderId, stage: 'shipped' }));
  setHandler(deliveryOrderDelivered, ({ deliveryOrderId }) => void deliveryEvents.push({ deliveryOrderId, stage: 'delivered' }));
  setHandler(getOrderState, snapshot);

  enter('pending');
  try {
    const reservation = await reserve();
    if (reservation) {
      const settled = await paymentCancelOrExpiry(reservation.expiresAt);
      if (settled.outcome === 'paid') {
        await confirm();
        const cancelled = await followDeliveries();
        if (cancelled) await giveBack({ outcome: 'cancelled', reason: cancelled.reason });
        else if (returnsOpen) await acceptReturns();
      } else {
        await giveBack(settled);
      }
    }
  } catch (err) {
    await CancellationScope.nonCancellable(() => compensateAfter(err));
    throw err;
  }
  return await finish();

  /** Checks the customer, prices, redeems and reserves; undefined when refused (and recorded as rejected). */
  async function reserve(): Promise<ReservedOrder | undefined> {
    let reserved: ReservedOrder;
    try {
      if (patched('customer-check')) await validateCustomer(input.customerId);
      let priced = await checkAvailability(input.items);
      if (input.voucherCode !== null) priced = await redeem(input.voucherCode, priced);
      quote = priced;
      const expiresAt = new Date(Date.now() + input.reservationTtlMs).toISOString();
      // Not cancellable: once asked for, whether the hold exists must be known, so that its
      // release is on the stack before a cancelled workflow unwinds.
      reserved = await CancellationScope.nonCancellable(() =>
        reserveStock({
          orderId: input.orderId,
          customerId: input.customerId,
          quote: priced,
          shippingAddress: input.shippingAddress,
          voucherCode: input.voucherCode,
          requestHash: input.requestHash,
          expiresAt,
        }),
      );
    } catch (err) {
      const refused = fromTemporalFailure(err);
      if (!refused) throw err;
      await reject(refused);
      return undefined;
    }
    saga.push((reason) => releaseStock(input.orderId, reason));
    allocation = reserved.lines;
    state.reservationExpiresAt = reserved.expiresAt;
    upsertMemo({ total: quote.total, currency: quote.currency });
    enter('awaiting_payment');
    return reserved;
  }

  /** Takes one use of the voucher for this order and prices the discount in. */
  async function redeem(code: string, priced: Quote): Promise<Quote> {
    // Not cancellable, like the hold: a redemption taken must have its release on the stack.
    const { discount } = await CancellationScope.nonCancellable(() =>
      redeemVoucher({
        orderId: input.orderId,
        code,
        subtotal: priced.subtotal,
        currency: priced.currency,
        at: new Date(Date.now()).toISOString(),
      }),
    );
    saga.push(() => releaseVoucher(input.orderId));
    return applyDiscount(priced, discount);
  }

  /**
   * Gives back what placing took (a redeemed voucher), records the refusal, so a repeated request
   * gets the same answer, and ends the saga rejected.
   */
  async function reject(refused: DomainError): Promise<void> {
    await saga.unwind('compensation');
    await rejectOrder({
      orderId: input.orderId,
      customerId: input.customerId,
      items: input.items,
      shippingAddress: input.shippingAddress,
      voucherCode: input.voucherCode,
      requestHash: input.requestHash,
      failure: { code: refused.code, message: refused.message, details: refused.details },
    });
    state.failure = { code: refused.code, message: refused.message };
    refusal = toApplicationFailure(refused);
    enter('rejected');
  }

  /** The durable hold: waits for pay or cancel until the reservation lapses. */
  async function paymentCancelOrExpiry(expiresAt: string): Promise<Decision> {
    // From workflow time, so a replay or a restarted worker waits exactly what is left.
    const remainingMs = Date.parse(expiresAt) - Date.now();
    await condition(() => decision !== undefined, Math.max(1, remainingMs));
    // The hold lapsed (unless decided): a charge in flight gets its outcome first, it may have gone through.
    return decision ?? (await lock.runExclusive(async () => (decision ??= { outcome: 'expired' })));
  }

  async function charge(priced: Quote, paymentToken: string | null): Promise<void> {
    try {
      // Not cancellable: whether the card was charged must be known, or its refund could be missed.
      await CancellationScope.nonCancellable(() =>
        chargePayment({
          orderId: input.orderId,
          amount: priced.total,
          currency: priced.currency,
          paymentToken,
          // A new key only after a decline: an attempt that went unanswered may have charged, so
          // trying it again must reuse its key, and the provider answers it without charging twice.
          idempotencyKey: `${input.orderId}:payment:${declines + 1}`,
        }),
      );
    } catch (err) {
      const refused =
        fromTemporalFailure(err) ??
        new DomainError('PAYMENT_UNAVAILABLE', 'the payment provider did not answer; the order can still be paid');
      if (refused.code === 'PAYMENT_DECLINED') {
        declines += 1;
        if (declines >= MAX_DECLINES && patched('cancel-after-declines')) {
          decision = { outcome: 'cancelled', reason: DECLINED_CANCEL_REASON };
        }
      }
      throw toApplicationFailure(refused);
    }
  }

  async function confirm(): Promise<void> {
    // Sagas confirmed before late cancels existed pushed neither compensation and stay uncancellable.
    lateCancelSupported = patched('cancel-after-payment');
    await commitStock(input.orderId);
    if (lateCancelSupported) saga.push(() => restockStock(input.orderId));
    state.deliveryOrderIds = await createDeliveryOrders(input.orderId);
    if (lateCancelSupported) saga.push(() => cancelDeliveryOrders(input.orderId));
    for (const id of state.deliveryOrderIds) stages.set(id, 'reserved');
    await record('confirmed');
  }

  /**
   * Applies the warehouse's shipped/delivered signals until every delivery order is delivered;
   * returns the cancel request instead when one is accepted before anything shipped.
   */
  async function followDeliveries(): Promise<{ reason: string | null } | undefined> {
    while ([...stages.values()].some((stage) => stage !== 'delivered')) {
      await condition(() => deliveryEvents.length > 0 || lateCancel !== undefined);
      if (lateCancel) return lateCancel;
      const { deliveryOrderId, stage } = deliveryEvents.shift()!;
      const current = stages.get(deliveryOrderId);
      // Someone else's delivery order, or a repeat: nothing to do.
      if (current === undefined || STAGE_ORDER.indexOf(stage) <= STAGE_ORDER.indexOf(current)) continue;
      try {
        await markDeliveryOrder(deliveryOrderId, stage);
      } catch (err) {
        // A refused move must not fail (and so refund) a paid order; it is reported, not applied.
        const refused = fromTemporalFailure(err);
        if (!refused) throw err;
        log.warn('delivery order update refused', { deliveryOrderId, stage, code: refused.code });
        continue;
      }
      stages.set(deliveryOrderId, stage);
      const status = orderStatusFor([...stages.values()]);
      if (status === 'delivered') {
        state.deliveredAt = new Date(Date.now()).toISOString();
        const windowMs = input.returnWindowMs ?? DEFAULT_RETURN_WINDOW_MS;
        state.returnWindowEndsAt = new Date(Date.now() + windowMs).toISOString();
        // Before the status is written, so a return asked for as soon as the read model says
        // delivered is already accepted. Sagas delivered before returns existed ended at delivered.
        returnsOpen = patched('return-window');
      }
      if (status !== state.status) await record(status);
    }
    return undefined;
  }

  /** Whether the warehouse reported any of this order's delivery orders shipped, applied or still queued. */
  function shipmentReported(): boolean {
    return (
      [...stages.values()].some((stage) => stage !== 'reserved') ||
      deliveryEvents.some((event) => stages.has(event.deliveryOrderId))
    );
  }

  /** Delivered: returns are taken until the window closes (a durable timer) or everything came back. */
  async function acceptReturns(): Promise<void> {
    const remainingMs = Date.parse(state.returnWindowEndsAt!) - Date.now();
    await condition(() => state.status === 'returned', Math.max(1, remainingMs));
    // A return accepted inside the window finishes first; none is accepted after this.
    await lock.runExclusive(async () => void (returnsOpen = false));
  }

  /** One return: the goods back on hand, then their share of the money back to the customer. */
  async function takeBack({ returnId, items, reason }: ReturnRequest): Promise<ReturnOutcome> {
    let recorded: RecordedReturn;
    try {
      recorded = await recordReturn({ orderId: input.orderId, returnId, items, reason });
    } catch (err) {
      const refused = fromTemporalFailure(err);
      throw refused ? toApplicationFailure(refused) : err;
    }
    // Nothing to send back when the returned lines were fully discounted.
    if (recorded.refundAmount > 0) {
      await refundPartial({ orderId: input.orderId, amount: recorded.refundAmount, idempotencyKey: `return:${returnId}` });
    }
    if (recorded.everythingReturned) await record('returned');
    return { returnId: recorded.returnId, refundAmount: recorded.refundAmount };
  }

  /** A line the order never held, described for the refusal; undefined when every line is the order's. */
  function notInOrder(items: StockLine[]): string | undefined {
    // Sagas reserved before allocation existed do not know their lines: recordReturn decides alone.
    if (!allocation) return undefined;
    const held = new Map<string, number>();
    for (const line of allocation) {
      const key = `${line.productId} from ${line.warehouseId}`;
      held.set(key, (held.get(key) ?? 0) + line.quantity);
    }
    const asked = new Map<string, number>();
    for (const item of items) {
      const key = `${item.productId} from ${item.warehouseId}`;
      asked.set(key, (asked.get(key) ?? 0) + item.quantity);
    }
    const [key, quantity] = [...asked].find(([key, quantity]) => quantity > (held.get(key) ?? 0)) ?? [];
    return key === undefined ? undefined : `${quantity} × ${key}`;
  }

  /** Cancelled or expired before shipment: everything taken goes back, then the read model says so. */
  function giveBack(settled: Exclude<Decision, { outcome: 'paid' }>): Promise<void> {
    // Not cancellable as a whole, so a cancelled workflow cannot leave the order half given back.
    return CancellationScope.nonCancellable(async () => {
      await saga.unwind(settled.outcome);
      await record(settled.outcome, settled.outcome === 'cancelled' ? settled.reason : null);
    });
  }

  /** After a failure or a cancelled workflow: give back everything, newest first, and record why. */
  async function compensateAfter(err: unknown): Promise<void> {
    // Refuses whatever arrives from now on; a return waiting for the delivered status gives up.
    unwinding = true;
    // Closes the order to pay and cancel once a charge or return in flight has settled: if a
    // charge went through, its refund must be on the stack before unwinding.
    await lock.runExclusive(async () => void (decision ??= { outcome: 'cancelled', reason: OPERATOR_CANCEL_REASON }));
    if (isCancellation(err)) {
      await saga.unwind('cancelled');
      await closeCancelled(OPERATOR_CANCEL_REASON);
      return;
    }
    const step = failedStep(err);
    log.error('order saga failed; compensating', { step, error: String(err) });
    await saga.unwind('compensation');
    await closeCancelled(`failed: ${step}`);
  }

  async function closeCancelled(reason: string): Promise<void> {
    // Before stock was reserved there is no order row to update, only the saga's own status.
    if (state.status !== 'pending') return await record('cancelled', reason);
    state.cancelReason = reason;
    enter('cancelled');
  }

  /** Lets in-flight updates (a placeOrder waiting for its answer) reply before the run closes. */
  async function finish(): Promise<OrderState> {
    await condition(allHandlersFinished);
    return snapshot();
  }

  /** Writes a status to the read model first, so whoever is told of it can read it back. */
  async function record(status: OrderStatus, cancelReason: string | null = null): Promise<void> {
    await setOrderStatus(input.orderId, status, cancelReason);
    if (cancelReason !== null) state.cancelReason = cancelReason;
    enter(status);
  }

  function enter(status: OrderStatus): void {
    state.status = status;
    upsertSearchAttributes([
      { key: OrderStatusAttribute, value: status },
      { key: CustomerIdAttribute, value: input.customerId },
    ]);
  }

  function notPayable(): Error {
    return contractFailure('ORDER_NOT_PAYABLE', `order ${input.orderId} is not awaiting payment (${phase()})`);
  }

  function notCancellable(): Error {
    const why = shipmentReported() ? 'a delivery order has shipped' : phase();
    return contractFailure('ORDER_NOT_CANCELLABLE', `order ${input.orderId} can no longer be cancelled (${why})`);
  }

  function notReturnable(): Error {
    const why =
      state.status === 'returned'
        ? 'everything delivered already came back'
        : state.status === 'delivered' && state.returnWindowEndsAt
          ? `the return window closed at ${state.returnWindowEndsAt}`
          : `it is ${state.status}, not delivered`;
    return contractFailure('RETURN_NOT_ALLOWED', `order ${input.orderId} takes no returns: ${why}`);
  }

  /**
   * The saga ended (failed or was cancelled) before it could answer. Still a contract answer, never
   * a 500: placing answers INVENTORY_UNAVAILABLE (nothing is held), paying ORDER_NOT_PAYABLE (any
   * charge was refunded by the compensations).
   */
  function sagaEnded(code: 'INVENTORY_UNAVAILABLE' | 'ORDER_NOT_PAYABLE'): Error {
    return contractFailure(
      code,
      `order ${input.orderId} ended ${state.status} (${state.cancelReason ?? 'no reason recorded'})`,
    );
  }

  /** The status as a caller should understand it, including a decision not yet carried out. */
  function phase(): string {
    return decision && state.status === 'awaiting_payment' ? decision.outcome : state.status;
  }
}

function orderStatusFor(stages: readonly DeliveryStage[]): OrderStatus {
  if (stages.every((stage) => stage === 'delivered')) return 'delivered';
  if (stages.every((stage) => stage !== 'reserved')) return 'shipped';
  return 'confirmed';
}

/** Names the step a non-business failure escaped from, for the cancel reason `failed: <step>`. */
function failedStep(err: unknown): string {
  return err instanceof ActivityFailure && err.activityType ? err.activityType : 'workflow';
}

/** A refusal with a contract code, as handlers must throw it (ApplicationFailure, type = code). */
function contractFailure(code: ErrorCode, message: string): Error {
  return toApplicationFailure(new DomainError(code, message));
}
