/**
 * The saga's messages: one source of truth shared by the workflow and the API.
 * Only definitions and plain types here, so both sides can import it.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { OrderRequest, OrderStatus } from '../domain/order';
import type { StockLine } from '../domain/stock';

export const ORDER_WORKFLOW_TYPE = 'orderWorkflow';

/** Search attributes the Web UI filters sagas by; registered on the server at start-up. */
export const OrderStatusAttribute = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdAttribute = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const ORDER_SEARCH_ATTRIBUTES = [OrderStatusAttribute, CustomerIdAttribute];

/** The workflow's input: one saga per order, id `order-<orderId>`. */
export interface PlaceOrderInput extends OrderRequest {
  /** How long stock is held for payment (RESERVATION_TTL). */
  reservationTtlMs: number;
  /** How long one call to the payment provider may take (PAYMENT_TIMEOUT). */
  paymentTimeoutMs: number;
  /** How long after delivery goods may be returned (RETURN_WINDOW). Absent in sagas started before returns existed. */
  returnWindowMs?: number;
}

/** What the saga knows of its order right now; answered by the `state` query and every update. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  reservationExpiresAt: string | null;
  deliveryOrderIds: string[];
  paymentAttempts: number;
  cancelReason: string | null;
  /** Set when the order was rejected: the contract error code and message. */
  failure: { code: string; message: string } | null;
  /** When the last delivery order was delivered; returns are accepted until returnWindowEndsAt. */
  deliveredAt?: string | null;
  returnWindowEndsAt?: string | null;
}

export interface PlaceOrderRequest {
  requestHash: string;
}

export interface PaymentRequest {
  paymentToken: string | null;
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

export interface DeliveryOrderEvent {
  deliveryOrderId: string;
}

/** Sent with Update-with-Start; returns once stock is reserved (or fails with the refusal). */
export const placeOrder = defineUpdate<OrderState, [PlaceOrderRequest]>('placeOrder');
/** Takes payment; fails with PAYMENT_DECLINED, PAYMENT_UNAVAILABLE or ORDER_NOT_PAYABLE. */
export const payOrder = defineUpdate<OrderState, [PaymentRequest]>('pay');
/** Cancels and compensates; fails with ORDER_NOT_CANCELLABLE. */
export const cancelOrder = defineUpdate<OrderState, [CancelRequest]>('cancel');
/** Takes delivered goods back within the return window; fails with RETURN_NOT_ALLOWED. */
export const returnOrder = defineUpdate<ReturnOutcome, [ReturnRequest]>('return');
/** From the warehouse, through the delivery-order endpoints. */
export const deliveryOrderShipped = defineSignal<[DeliveryOrderEvent]>('shipped');
export const deliveryOrderDelivered = defineSignal<[DeliveryOrderEvent]>('delivered');
export const getOrderState = defineQuery<OrderState>('state');
