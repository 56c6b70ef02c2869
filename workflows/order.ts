/**
 * OrderWorkflow: one saga per order (workflow id `order-<orderId>`). It reserves the stock, holds
 * it for payment on a durable timer, takes payment, deducts the stock and follows the delivery;
 * a refusal, a cancel, the expiry or a cancelled workflow gives back what was taken.
 *
 * Deterministic code only: activities are reached through proxies, time is workflow time.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  upsertMemo,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { ReservedOrder } from '../activities/inventory';
import { DomainError, type ErrorCode } from '../domain/errors';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import type { OrderStatus, Quote } from '../domain/order';
import type { ReleaseReason } from '../domain/stock';
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
  type OrderState,
  type PlaceOrderInput,
} from './messages';

// Database-backed steps: retried until they succeed, unless they refuse for a business reason.
const {
  checkAvailability,
  reserveStock,
  releaseStock,
  commitStock,
  rejectOrder,
  setOrderStatus,
  createDeliveryOrders,
  markDeliveryOrder,
  refundPayment,
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
  };
  const saga = new Compensations<ReleaseReason>();
  // Serialises pay, cancel and the expiry, so a cancel or the expiry waits for a charge in flight.
  const paymentLock = new Lock();
  const deliveryEvents: DeliveryEvent[] = [];
  let quote: Quote | undefined;
  let refusal: Error | undefined;
  let decision: Decision | undefined;

  const snapshot = (): OrderState => ({ ...state, deliveryOrderIds: [...state.deliveryOrderIds] });
  const awaitingPayment = () => state.status === 'awaiting_payment' && decision === undefined;

  setHandler(
    placeOrder,
    async () => {
      // Update-with-Start answers once the stock is reserved, or with the refusal.
      await condition(() => state.status !== 'pending');
      if (refusal) throw refusal;
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
      await paymentLock.runExclusive(async () => {
        // Checked again under the lock: a racing cancel or the expiry may have won meanwhile.
        if (!awaitingPayment() || !quote) throw notPayable();
        state.paymentAttempts += 1;
        await charge(quote, paymentToken, state.paymentAttempts);
        saga.push(() => refundPayment(input.orderId));
        decision = { outcome: 'paid' };
      });
      await condition(() => state.status !== 'awaiting_payment');
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
      await paymentLock.runExclusive(async () => {
        // Checked again under the lock: a charge that was in flight may have succeeded.
        if (!awaitingPayment()) throw notCancellable();
        decision = { outcome: 'cancelled', reason };
      });
      await condition(() => state.status !== 'awaiting_payment');
      return snapshot();
    },
    {
      validator: (_cancel) => {
        if (!awaitingPayment()) throw notCancellable();
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
        await followDeliveries();
      } else {
        await giveBack(settled);
      }
    }
  } catch (err) {
    await CancellationScope.nonCancellable(() => compensateAfter(err));
    throw err;
  }
  return await finish();

  /** Prices and reserves the order; undefined when it was refused (and recorded as rejected). */
  async function reserve(): Promise<ReservedOrder | undefined> {
    let reserved: ReservedOrder;
    try {
      const priced = await checkAvailability(input.items);
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
    state.reservationExpiresAt = reserved.expiresAt;
    upsertMemo({ total: quote.total, currency: quote.currency });
    enter('awaiting_payment');
    return reserved;
  }

  /** Records the refusal, so a repeated request gets the same answer, and ends the saga rejected. */
  async function reject(refused: DomainError): Promise<void> {
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
    return decision ?? (await paymentLock.runExclusive(async () => (decision ??= { outcome: 'expired' })));
  }

  async function charge(priced: Quote, paymentToken: string | null, attempt: number): Promise<void> {
    try {
      // Not cancellable: whether the card was charged must be known, or its refund could be missed.
      await CancellationScope.nonCancellable(() =>
        chargePayment({
          orderId: input.orderId,
          amount: priced.total,
          currency: priced.currency,
          paymentToken,
          // One key per attempt: retries of this attempt never charge twice, a new attempt may.
          idempotencyKey: `${input.orderId}:payment:${attempt}`,
        }),
      );
    } catch (err) {
      throw toApplicationFailure(
        fromTemporalFailure(err) ??
          new DomainError('PAYMENT_UNAVAILABLE', 'the payment provider did not answer; the order can still be paid'),
      );
    }
  }

  async function confirm(): Promise<void> {
    await commitStock(input.orderId);
    state.deliveryOrderIds = await createDeliveryOrders(input.orderId);
    await record('confirmed');
  }

  /** Applies the warehouse's shipped/delivered signals until every delivery order is delivered. */
  async function followDeliveries(): Promise<void> {
    const stages = new Map<string, DeliveryStage>(state.deliveryOrderIds.map((id) => [id, 'reserved']));
    while ([...stages.values()].some((stage) => stage !== 'delivered')) {
      await condition(() => deliveryEvents.length > 0);
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
      if (status !== state.status) await record(status);
    }
  }

  /** Cancelled or expired before payment: the stock goes back, then the read model says so. */
  function giveBack(settled: Exclude<Decision, { outcome: 'paid' }>): Promise<void> {
    // Not cancellable as a whole, so a cancelled workflow cannot leave the order half given back.
    return CancellationScope.nonCancellable(async () => {
      await saga.unwind(settled.outcome);
      await record(settled.outcome, settled.outcome === 'cancelled' ? settled.reason : null);
    });
  }

  /** After a failure or a cancelled workflow: give back everything, newest first. */
  async function compensateAfter(err: unknown): Promise<void> {
    // Closes the order to pay and cancel, once a charge in flight has settled: if it went
    // through, its refund must be on the stack before unwinding.
    await paymentLock.runExclusive(async () => void (decision ??= { outcome: 'cancelled', reason: OPERATOR_CANCEL_REASON }));
    if (!isCancellation(err)) {
      log.error('order saga failed; compensating', { error: String(err) });
      await saga.unwind('compensation');
      return;
    }
    await saga.unwind('cancelled');
    // Before stock was reserved there is no order row to update, only the saga's own status.
    if (state.status === 'pending') enter('cancelled');
    else await record('cancelled', OPERATOR_CANCEL_REASON);
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
    return contractFailure('ORDER_NOT_CANCELLABLE', `order ${input.orderId} can no longer be cancelled (${phase()})`);
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

/** A refusal with a contract code, as handlers must throw it (ApplicationFailure, type = code). */
function contractFailure(code: ErrorCode, message: string): Error {
  return toApplicationFailure(new DomainError(code, message));
}
