/**
 * One order's saga while it runs: what it knows, the compensation stack, the lock, and the guards
 * every handler and phase decides by. The phases (placing, payment, fulfilment, returns,
 * compensation) take the run and change it; nothing here does I/O except through `record`.
 */
import { allHandlersFinished, CancellationScope, condition, upsertSearchAttributes } from '@temporalio/workflow';
import { MOVE_FROM, type DeliveryMove, type DeliveryStage } from '../domain/delivery';
import { DomainError, type ErrorCode } from '../domain/errors';
import { toApplicationFailure } from '../domain/failure';
import type { AllocatedLine, OrderStatus, Quote } from '../domain/order';
import { stillReturnable } from '../domain/returns';
import type { ReleaseReason, StockLine } from '../domain/stock';
import { durable } from './activities';
import { Compensations } from './compensations';
import { Lock } from './lock';
import { CustomerIdAttribute, OrderStatusAttribute, type OrderState, type PlaceOrderInput } from './messages';

/** What settled an order that was awaiting payment. */
export type Decision = { outcome: 'paid' } | { outcome: 'cancelled'; reason: string | null } | { outcome: 'expired' };

/** A move reported through the signals older API versions sent; applied in arrival order. */
export interface ReportedMove {
  deliveryOrderId: string;
  move: DeliveryMove;
}

/** Payment attempts one order accepts (declined, unanswered or not): a script cannot grow its history without end. */
export const MAX_PAYMENT_ATTEMPTS = 10;
/** Returns one order takes: each takes at least one unit, and an order may hold a million. */
export const MAX_RETURNS = 20;

export class OrderRun {
  readonly state: OrderState;
  /** The compensation stack. */
  readonly saga = new Compensations<ReleaseReason>();
  /** Serialises pay, cancel, ship, deliver, returns and the timers (see Lock). */
  readonly lock = new Lock();

  /** Whether placing ran its steps as local activities (`local-placing`, see placing.ts). */
  localPlacing = false;
  quote: Quote | undefined;
  /** When the order was placed (workflow time): HOLD_MAX_TTL counts from here. */
  placedAtMs: number | undefined;
  /** Extensions the shopper asked for, and whether a payment in the last minute extended it by itself. */
  shopperExtensions = 0;
  paymentExtended = false;
  /** What reserveStock held, per warehouse; absent in sagas reserved before allocation existed. */
  allocation: AllocatedLine[] | undefined;
  /** What came back so far, by the returns this saga took. */
  readonly returned: StockLine[] = [];
  refusal: Error | undefined;
  decision: Decision | undefined;
  declines = 0;
  /** Whether settlePayments is on the stack (pushed once, before the first charge). */
  settlementPushed = false;
  lateCancelSupported = false;
  lateCancel: { reason: string | null } | undefined;
  /** Cancels accepted but not yet decided, and shipments accepted but not yet applied: both count as applied. */
  cancelsInFlight = 0;
  shipmentsInFlight = 0;
  readonly stages = new Map<string, DeliveryStage>();
  readonly reportedMoves: ReportedMove[] = [];
  /** Whether the first shipment cuts the compensation stack (sagas confirmed before this behave as before). */
  cutsAtShipment = false;
  /** Past the first shipment: nothing is given back except by a return, and workflow cancels are refused. */
  pastNoReturn = false;
  /** Decided when the last delivery order is delivered; closed with the window. */
  returnsOpen = false;
  returnsTaken = 0;
  /** Set once the saga is being unwound after a failure or a cancelled workflow: nothing more is accepted. */
  unwinding = false;

  constructor(readonly input: PlaceOrderInput) {
    this.state = {
      orderId: input.orderId,
      status: 'pending',
      reservationExpiresAt: null,
      deliveryOrderIds: [],
      paymentAttempts: 0,
      cancelReason: null,
      failure: null,
      deliveredAt: null,
      returnWindowEndsAt: null,
      deliveryStages: {},
    };
  }

  get orderId(): string {
    return this.input.orderId;
  }

  snapshot(): OrderState {
    return {
      ...this.state,
      deliveryOrderIds: [...this.state.deliveryOrderIds],
      deliveryStages: Object.fromEntries(this.stages),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Guards: each reads the saga's own state, counting what was taken but not yet applied.

  awaitingPayment(): boolean {
    return this.state.status === 'awaiting_payment' && this.decision === undefined && !this.unwinding;
  }

  /** Paid, confirmed and nothing shipped (or about to): a cancel gives everything back. */
  cancellableAfterPayment(): boolean {
    return (
      this.lateCancelSupported &&
      this.state.status === 'confirmed' &&
      this.lateCancel === undefined &&
      this.cancelsInFlight === 0 &&
      !this.unwinding &&
      !this.shipmentReported()
    );
  }

  cancellable(): boolean {
    return this.awaitingPayment() || this.cancellableAfterPayment();
  }

  /** Whether any delivery order has shipped, is being shipped, or was reported shipped and is still queued. */
  shipmentReported(): boolean {
    return (
      this.shipmentsInFlight > 0 ||
      [...this.stages.values()].some((stage) => stage !== 'reserved') ||
      this.reportedMoves.some((reported) => this.stages.has(reported.deliveryOrderId))
    );
  }

  /** Confirmed and not being cancelled or unwound: the warehouse may move its delivery orders. */
  takesDeliveryMoves(): boolean {
    return (
      (this.state.status === 'confirmed' || this.state.status === 'shipped') &&
      this.lateCancel === undefined &&
      this.cancelsInFlight === 0 &&
      !this.unwinding
    );
  }

  /** Paid and still being confirmed: the delivery orders may exist in the database before the saga knows them. */
  confirming(): boolean {
    return this.decision?.outcome === 'paid' && this.state.status === 'awaiting_payment' && !this.unwinding;
  }

  /**
   * The refusal a move of this delivery order gets now, or undefined when it may be applied.
   * `knownOnly`: while confirming, an id the saga has not learnt yet is not refused (the handler waits).
   */
  moveRefusal(deliveryOrderId: string, move: DeliveryMove, { knownOnly = false } = {}): Error | undefined {
    const refusal: ErrorCode = move === 'shipped' ? 'DELIVERY_ORDER_NOT_SHIPPABLE' : 'DELIVERY_ORDER_NOT_DELIVERABLE';
    const stage = this.stages.get(deliveryOrderId);
    if (stage === undefined) {
      if (knownOnly && this.confirming()) return undefined;
      return contractFailure('DELIVERY_ORDER_NOT_FOUND', `delivery order ${deliveryOrderId} is not one of order ${this.orderId}'s`);
    }
    if (!this.takesDeliveryMoves()) {
      return contractFailure(refusal, `delivery order ${deliveryOrderId} can no longer move: order ${this.orderId} is ${this.phase()}`);
    }
    if (stage !== MOVE_FROM[move]) {
      return contractFailure(refusal, `delivery order ${deliveryOrderId} is ${stage}; it must be ${MOVE_FROM[move]} to become ${move}`);
    }
    return undefined;
  }

  /** What may still come back; undefined in sagas reserved before allocation existed (recordReturn decides alone). */
  returnableLines(): StockLine[] | undefined {
    return this.allocation && stillReturnable(this.allocation, this.returned);
  }

  // By the clock, not only the timer: a return may arrive in the same activation as the window's end.
  returnable(): boolean {
    return (
      this.returnsOpen &&
      !this.unwinding &&
      this.state.status !== 'returned' &&
      this.state.returnWindowEndsAt != null &&
      Date.now() < Date.parse(this.state.returnWindowEndsAt)
    );
  }

  // ---------------------------------------------------------------------------------------------
  // The read model and the Web UI

  /** Writes a status to the read model first, so whoever is told of it can read it back. */
  async record(status: OrderStatus, cancelReason: string | null = null): Promise<void> {
    await durable.setOrderStatus(this.orderId, status, cancelReason);
    if (cancelReason !== null) this.state.cancelReason = cancelReason;
    this.enter(status);
  }

  enter(status: OrderStatus): void {
    this.state.status = status;
    upsertSearchAttributes([
      { key: OrderStatusAttribute, value: status },
      { key: CustomerIdAttribute, value: this.input.customerId },
    ]);
  }

  /**
   * Past the point of no return a cancelled workflow must not stop the saga: what is left (the
   * delivery, returns) runs shielded from it. Before that point it runs as it is.
   */
  shielded<T>(run: () => Promise<T>): Promise<T> {
    return this.pastNoReturn ? CancellationScope.nonCancellable(run) : run();
  }

  /** Lets in-flight updates (a placeOrder waiting for its answer) reply before the run closes. */
  async finish(): Promise<OrderState> {
    await this.shielded(() => condition(allHandlersFinished));
    return this.snapshot();
  }

  // ---------------------------------------------------------------------------------------------
  // Refusals

  notPayable(why = this.phase()): Error {
    return contractFailure('ORDER_NOT_PAYABLE', `order ${this.orderId} is not awaiting payment (${why})`);
  }

  notCancellable(): Error {
    const why = this.shipmentReported() ? 'a delivery order has shipped' : this.cancelsInFlight > 0 ? 'it is being cancelled' : this.phase();
    return contractFailure('ORDER_NOT_CANCELLABLE', `order ${this.orderId} can no longer be cancelled (${why})`);
  }

  notReturnable(why?: string): Error {
    const reason =
      why ??
      (this.state.status === 'returned'
        ? 'everything delivered already came back'
        : this.state.status === 'delivered' && this.state.returnWindowEndsAt
          ? `the return window closed at ${this.state.returnWindowEndsAt}`
          : `it is ${this.state.status}, not delivered`);
    return contractFailure('RETURN_NOT_ALLOWED', `order ${this.orderId} takes no returns: ${reason}`);
  }

  /**
   * The saga ended (failed or was cancelled) before it could answer. Still a contract answer, never
   * a 500: placing answers INVENTORY_UNAVAILABLE (nothing is held), paying ORDER_NOT_PAYABLE (any
   * charge was given back by the compensations).
   */
  sagaEnded(code: 'INVENTORY_UNAVAILABLE' | 'ORDER_NOT_PAYABLE'): Error {
    return contractFailure(code, `order ${this.orderId} ended ${this.state.status} (${this.state.cancelReason ?? 'no reason recorded'})`);
  }

  /** The status as a caller should understand it, including a decision not yet carried out. */
  phase(): string {
    if (this.decision && this.state.status === 'awaiting_payment') return this.decision.outcome;
    if (this.lateCancel || this.cancelsInFlight > 0) return 'being cancelled';
    return this.state.status;
  }
}

/** A refusal with a contract code, as handlers must throw it (ApplicationFailure, type = code). */
export function contractFailure(code: ErrorCode, message: string): Error {
  return toApplicationFailure(new DomainError(code, message));
}
