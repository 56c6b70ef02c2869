/**
 * The saga's messages: one source of truth shared by the workflow and the API.
 * Only definitions and plain types here, so both sides can import it. TypeScript names say each
 * message's kind; the wire names (the strings) stay as they are, because recorded histories and
 * running sagas know them by those.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { DeliveryStage } from '../domain/delivery';
import type { OrderRequest, OrderStatus } from '../domain/order';
import type { StockLine } from '../domain/stock';

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';

/** Search attributes the Web UI filters sagas by; registered on the server at start-up. */
export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
/** A stock hold's status, and its id (on the hold's workflow, and on an order's saga placed from it). */
export const HoldStatusAttribute = defineSearchAttributeKey('HoldStatus', SearchAttributeType.KEYWORD);
export const HoldIdAttribute = defineSearchAttributeKey('HoldId', SearchAttributeType.KEYWORD);
/** Every search attribute the service's workflows set (orders and stock holds). */
export const ORDER_SEARCH_ATTRIBUTES = [OrderStatusAttribute, CustomerIdAttribute, HoldStatusAttribute, HoldIdAttribute];

/** The workflow's input: one saga per order, id `order-<orderId>`. */
export interface PlaceOrderInput extends OrderRequest {
  /** How long stock is held for payment (RESERVATION_TTL). */
  reservationTtlMs: number;
  /** How long one call to the payment provider may take (PAYMENT_TIMEOUT). */
  paymentTimeoutMs: number;
  /** How long after delivery goods may be returned (RETURN_WINDOW). Absent in sagas started before returns existed. */
  returnWindowMs?: number;
  /**
   * How far its expiry may be pushed out (HOLD_MAX_TTL from placing, RESERVATION_MAX_EXTENSIONS
   * times). Absent in sagas started before reservations could be extended.
   */
  extensions?: { maxTotalMs: number; maxCount: number };
  /** The stock hold the order is placed on (POST /orders with reservationId): its units become the order's. */
  reservationId?: string;
}

/** What the saga knows of its order right now; answered by the `state` query and every update. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  reservationExpiresAt: string | null;
  deliveryOrderIds: string[];
  paymentAttempts: number;
  /** How often the reservation was pushed out, by the shopper or by a payment in its last minute. */
  reservationExtensions?: number;
  cancelReason: string | null;
  /** Set when the order was rejected: the contract error code and message. */
  failure: { code: string; message: string } | null;
  /** When the last delivery order was delivered; returns are accepted until returnWindowEndsAt. */
  deliveredAt?: string | null;
  returnWindowEndsAt?: string | null;
  /** Where each delivery order is, by id (absent in sagas confirmed before it was reported). */
  deliveryStages?: Record<string, DeliveryStage>;
}

export interface PlaceOrderRequest {
  requestHash: string;
}

export interface PaymentRequest {
  paymentToken: string | null;
}

export interface ExtendReservationRequest {
  /** How much later the reservation should lapse than it does now. */
  byMs: number;
}

export interface CancelRequest {
  reason: string | null;
}

export interface ReturnRequest {
  /** Chosen by the API, so a retried request lands on the same return. */
  returnId: string;
  /** What comes back; null means everything delivered and not yet returned. */
  items: StockLine[] | null;
  reason: string | null;
}

export interface ReturnOutcome {
  returnId: string;
  refundAmount: number;
}

/** A delivery order of this order that the warehouse shipped or delivered. */
export interface DeliveryOrderMove {
  deliveryOrderId: string;
}

/** Sent with Update-with-Start; returns once stock is reserved (or fails with the refusal). */
export const placeOrderUpdate = defineUpdate<OrderState, [PlaceOrderRequest]>('placeOrder');
/** Takes payment; fails with PAYMENT_DECLINED, PAYMENT_UNAVAILABLE or ORDER_NOT_PAYABLE. */
export const payUpdate = defineUpdate<OrderState, [PaymentRequest]>('pay');
/**
 * Pushes an unpaid order's reservation out, bounded; fails with RESERVATION_NOT_EXTENDABLE. The
 * answer's reservationExpiresAt is the new expiry.
 */
export const extendReservationUpdate = defineUpdate<OrderState, [ExtendReservationRequest]>('extendReservation');
/** Cancels and compensates; fails with ORDER_NOT_CANCELLABLE. */
export const cancelUpdate = defineUpdate<OrderState, [CancelRequest]>('cancel');
/** Takes delivered goods back within the return window; fails with RETURN_NOT_ALLOWED. */
export const returnUpdate = defineUpdate<ReturnOutcome, [ReturnRequest]>('return');
/**
 * The warehouse shipped a delivery order; answers once the move is applied, or fails with
 * DELIVERY_ORDER_NOT_SHIPPABLE (a cancel won) / DELIVERY_ORDER_NOT_FOUND (not this order's).
 */
export const shipUpdate = defineUpdate<OrderState, [DeliveryOrderMove]>('ship');
/** The warehouse delivered a delivery order; fails with DELIVERY_ORDER_NOT_DELIVERABLE / _NOT_FOUND. */
export const deliverUpdate = defineUpdate<OrderState, [DeliveryOrderMove]>('deliver');
/**
 * How the API reported shipments before ship and deliver were updates. Kept so that sagas which
 * received them replay, and applied under the saga's lock like the updates.
 */
export const shippedSignal = defineSignal<[DeliveryOrderMove]>('shipped');
export const deliveredSignal = defineSignal<[DeliveryOrderMove]>('delivered');
export const stateQuery = defineQuery<OrderState>('state');
