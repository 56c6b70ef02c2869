/**
 * The event catalogue (API.md "Events"): what this service announces and the `data` each type
 * carries. Events are written to the outbox in the transaction that makes the change and
 * published to NATS JetStream under `NATS_SUBJECT_PREFIX` + type.
 */
import type { MovementReason } from './stock';

export const EVENT_SOURCE = 'order-service';
export const EVENT_DATA_VERSION = '1.0';

/** A line of an order as it was held: one warehouse, priced from the catalog. */
export interface OrderLineData {
  productId: string;
  warehouseId: string;
  quantity: number;
  unitPrice: number;
  lineTotal: number;
}

/** `order.created`: stock is reserved and the order awaits payment. */
export interface OrderCreatedData {
  orderId: string;
  customerId: string;
  status: 'awaiting_payment';
  items: OrderLineData[];
  subtotal: number;
  discount: number;
  total: number;
  currency: string;
  voucherCode: string | null;
  shippingAddress: string;
  reservationExpiresAt: string;
}

/** `order.rejected`: the order could not be placed; nothing is held. */
export interface OrderRejectedData {
  orderId: string;
  customerId: string;
  status: 'rejected';
  /** The contract error code the placing request was answered with (INSUFFICIENT_INVENTORY, ...). */
  code: string;
  message: string;
}

/** `order.confirmed`, `order.cancelled`, `order.expired`, `order.shipped`, `order.delivered`. */
export interface OrderStatusChangedData {
  orderId: string;
  customerId: string;
  status: 'confirmed' | 'cancelled' | 'expired' | 'shipped' | 'delivered';
  previousStatus: string;
  total: number;
  currency: string;
  /** Why a cancelled order was cancelled; null otherwise. */
  cancelReason: string | null;
}

/** `order.returned`: one return of delivered goods was taken back. */
export interface OrderReturnedData {
  orderId: string;
  customerId: string;
  returnId: string;
  items: Array<{ productId: string; warehouseId: string; quantity: number }>;
  refundAmount: number;
  currency: string;
  /** True once every delivered unit has come back (the order is then `returned`). */
  everythingReturned: boolean;
}

/** `payment.succeeded`: a charge went through. */
export interface PaymentSucceededData {
  orderId: string;
  paymentId: string;
  amount: number;
  currency: string;
}

/** `payment.refunded`: money went back to the customer (a cancel after payment, or a return). */
export interface PaymentRefundedData {
  orderId: string;
  paymentId: string;
  refundId: string;
  amount: number;
  currency: string;
}

/** A stock level after the change, as every stock event reports it. */
export interface LevelData {
  productId: string;
  warehouseId: string;
  onHand: number;
  reserved: number;
  /** onHand - reserved. */
  available: number;
  lowStockThreshold: number;
}

/**
 * `inventory.reserved`, `inventory.released`, `inventory.committed`, `inventory.restocked`,
 * `inventory.adjusted`: one level moved. `reason` is the ledger's (GET .../movements).
 */
export interface StockMovedData extends LevelData {
  /** The ledger reason: reservation, release, expiry, commit, restock, return, stock_set or adjustment. */
  reason: MovementReason;
  deltaOnHand: number;
  deltaReserved: number;
  /** The order whose saga moved the stock; null for admin changes and stock holds. */
  orderId: string | null;
  /** The stock hold whose units moved; present only on a hold's events. */
  holdId?: string;
  /** The admin's words for an adjustment ("damaged"); null otherwise. */
  note: string | null;
}

/**
 * `inventory.hold_converted`: an order adopted a stock hold; the hold's units at this level are now
 * the order's reservation (reserved is unchanged, so deltas are 0).
 */
export interface HoldConvertedData extends StockMovedData {
  reason: 'conversion';
  orderId: string;
  holdId: string;
  /** Units that passed from the hold to the order at this level. */
  quantity: number;
}

/** `inventory.low_stock` (available fell to the threshold or below) and `inventory.out_of_stock` (to 0). */
export type StockAlertData = LevelData;

/** `delivery_order.created`: what the warehouse needs to ship. */
export interface DeliveryOrderCreatedData {
  deliveryOrderId: string;
  orderId: string;
  warehouseId: string;
  status: 'reserved';
  shipTo: string;
  items: Array<{ productId: string; quantity: number }>;
}

/** `delivery_order.cancelled`, `delivery_order.shipped`, `delivery_order.delivered`. */
export interface DeliveryOrderMovedData {
  deliveryOrderId: string;
  orderId: string;
  warehouseId: string;
  status: 'cancelled' | 'shipped' | 'delivered';
  previousStatus: string;
}

export interface EventDataByType {
  'order.created': OrderCreatedData;
  'order.confirmed': OrderStatusChangedData;
  'order.cancelled': OrderStatusChangedData;
  'order.expired': OrderStatusChangedData;
  'order.rejected': OrderRejectedData;
  'order.shipped': OrderStatusChangedData;
  'order.delivered': OrderStatusChangedData;
  'order.returned': OrderReturnedData;
  'payment.succeeded': PaymentSucceededData;
  'payment.refunded': PaymentRefundedData;
  'inventory.reserved': StockMovedData;
  'inventory.released': StockMovedData;
  'inventory.committed': StockMovedData;
  'inventory.restocked': StockMovedData;
  'inventory.adjusted': StockMovedData;
  'inventory.hold_converted': HoldConvertedData;
  'inventory.low_stock': StockAlertData;
  'inventory.out_of_stock': StockAlertData;
  'delivery_order.created': DeliveryOrderCreatedData;
  'delivery_order.cancelled': DeliveryOrderMovedData;
  'delivery_order.shipped': DeliveryOrderMovedData;
  'delivery_order.delivered': DeliveryOrderMovedData;
}

export type EventType = keyof EventDataByType;

export const EVENT_TYPES = [
  'order.created',
  'order.confirmed',
  'order.cancelled',
  'order.expired',
  'order.rejected',
  'order.shipped',
  'order.delivered',
  'order.returned',
  'payment.succeeded',
  'payment.refunded',
  'inventory.reserved',
  'inventory.released',
  'inventory.committed',
  'inventory.restocked',
  'inventory.adjusted',
  'inventory.hold_converted',
  'inventory.low_stock',
  'inventory.out_of_stock',
  'delivery_order.created',
  'delivery_order.cancelled',
  'delivery_order.shipped',
  'delivery_order.delivered',
] as const satisfies readonly EventType[];

// A type missing from EVENT_TYPES makes this a compile error.
const _everyTypeListed: Record<Exclude<EventType, (typeof EVENT_TYPES)[number]>, never> = {};
void _everyTypeListed;

/** An event as a change writes it; the outbox adds the id, the sequence and the time. */
export type NewEvent = {
  [T in EventType]: {
    type: T;
    /** The order id, or `productId/warehouseId` for stock events: what `sequence` counts. */
    subject: string;
    data: EventDataByType[T];
    /** The request id that started the change; null when no request did (a script). */
    correlationId: string | null;
  };
}[EventType];

/** The envelope consumers receive, over JetStream and from GET /events. */
export interface EventEnvelope {
  id: string;
  type: EventType;
  source: typeof EVENT_SOURCE;
  dataVersion: typeof EVENT_DATA_VERSION;
  timestamp: string;
  correlationId: string | null;
  subject: string;
  /** Counts the subject's events from 1 without gaps: a consumer that sees n+2 after n missed one. */
  sequence: number;
  data: unknown;
}

/** The subject of a stock level's events. Catalog ids cannot contain `/`, so it is unambiguous. */
export function levelSubject(productId: string, warehouseId: string): string {
  return `${productId}/${warehouseId}`;
}
