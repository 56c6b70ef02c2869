import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  customType,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Money in minor units. 64-bit: an order the API accepts (100 lines of 10,000 units at up to
 * 2,147,483,647 cents) totals up to about 2.1e15 cents, far past a 32-bit column yet within the
 * integers a JS number holds exactly (db/client.ts refuses anything beyond those).
 */
const money = (name: string) => bigint(name, { mode: 'number' });
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const products = pgTable(
  'products',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    price: money('price').notNull(),
    currency: text('currency').notNull(),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [check('products_price_check', sql`${t.price} >= 0`)],
);

export const warehouses = pgTable('warehouses', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  priority: integer('priority').notNull().default(100),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** The stock invariant lives here: reserved never negative, never above on hand. */
export const inventoryLevels = pgTable(
  'inventory_levels',
  {
    productId: text('product_id').notNull().references(() => products.id),
    warehouseId: text('warehouse_id').notNull().references(() => warehouses.id),
    onHand: integer('on_hand').notNull(),
    reserved: integer('reserved').notNull().default(0),
    lowStockThreshold: integer('low_stock_threshold').notNull().default(0),
    updatedAt: updatedAt(),
  },
  (t) => [
    primaryKey({ columns: [t.productId, t.warehouseId] }),
    check('inventory_levels_reserved_check', sql`${t.reserved} >= 0 AND ${t.reserved} <= ${t.onHand}`),
    check('inventory_levels_threshold_check', sql`${t.lowStockThreshold} >= 0`),
  ],
);

/** The read model the API serves; the saga's activities keep it current. */
export const orders = pgTable(
  'orders',
  {
    id: uuid('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    status: text('status').notNull(),
    subtotal: money('subtotal').notNull().default(0),
    discount: money('discount').notNull().default(0),
    total: money('total').notNull().default(0),
    currency: text('currency').notNull(),
    shippingAddress: text('shipping_address').notNull(),
    voucherCode: text('voucher_code'),
    reservationExpiresAt: timestamp('reservation_expires_at', { withTimezone: true }),
    /** When the last delivery order was delivered: the return window runs from here. */
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    cancelReason: text('cancel_reason'),
    /** Why a rejected order could not be placed: `{ code, message, details }`. */
    rejection: jsonb('rejection'),
    /** Fingerprint of the placing request, so a reused Idempotency-Key with another body is refused. */
    requestHash: text('request_hash').notNull(),
    /**
     * The saga run that reserved the order (its Temporal run id). A step of that run repeated
     * after a lost workflow task finds its own row; a second saga over the same order does not.
     */
    placedByRun: text('placed_by_run'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('orders_customer_created_idx').on(t.customerId, t.createdAt.desc()),
    index('orders_status_created_idx').on(t.status, t.createdAt.desc()),
    index('orders_created_idx').on(t.createdAt.desc()),
  ],
);

export const orderItems = pgTable(
  'order_items',
  {
    orderId: uuid('order_id').notNull().references(() => orders.id),
    lineNo: integer('line_no').notNull(),
    productId: text('product_id').notNull().references(() => products.id),
    warehouseId: text('warehouse_id').notNull().references(() => warehouses.id),
    quantity: integer('quantity').notNull(),
    unitPrice: money('unit_price').notNull(),
    lineTotal: money('line_total').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.lineNo] }),
    check('order_items_quantity_check', sql`${t.quantity} > 0`),
  ],
);

/**
 * A checkout's stock held before any order exists (POST /inventory/reserve), by a StockHoldWorkflow
 * of its own. Its units are stock_reservations rows with its `hold_id`; when an order adopts the
 * hold, those very rows get the order's id (the hold ends `converted`), so the units are never free
 * in between.
 */
export const stockHolds = pgTable(
  'stock_holds',
  {
    id: uuid('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    status: text('status').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    /** How many times the hold was extended (at most RESERVATION_MAX_EXTENSIONS). */
    extensions: integer('extensions').notNull().default(0),
    /** Creation + HOLD_MAX_TTL: no extension goes past it. */
    maxExpiresAt: timestamp('max_expires_at', { withTimezone: true }).notNull(),
    /** The caller's own notes (a cart id), returned as given. */
    metadata: jsonb('metadata').notNull().default({}),
    /** The order that adopted the hold, once it is `converted`. */
    convertedOrderId: uuid('converted_order_id').references(() => orders.id),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('stock_holds_customer_created_idx').on(t.customerId, t.createdAt.desc()),
    check('stock_holds_status_check', sql`${t.status} IN ('active', 'released', 'expired', 'converted')`),
    check('stock_holds_extensions_check', sql`${t.extensions} >= 0`),
    check('stock_holds_expiry_check', sql`${t.expiresAt} <= ${t.maxExpiresAt}`),
    check(
      'stock_holds_converted_check',
      sql`(${t.status} = 'converted') = (${t.convertedOrderId} IS NOT NULL)`,
    ),
  ],
);

/**
 * One hold per owner, product and warehouse; `reserved` changes only together with these rows.
 * The owner is an order, or a stock hold (`hold_id`, no order yet); a converted hold's rows carry
 * both: the order owns them, the hold says where they came from.
 */
export const stockReservations = pgTable(
  'stock_reservations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').references(() => orders.id),
    holdId: uuid('hold_id').references(() => stockHolds.id),
    productId: text('product_id').notNull(),
    warehouseId: text('warehouse_id').notNull(),
    quantity: integer('quantity').notNull(),
    status: text('status').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('stock_reservations_order_line_key').on(t.orderId, t.productId, t.warehouseId),
    unique('stock_reservations_hold_line_key').on(t.holdId, t.productId, t.warehouseId),
    index('stock_reservations_level_status_idx').on(t.productId, t.warehouseId, t.status),
    check('stock_reservations_quantity_check', sql`${t.quantity} > 0`),
    check('stock_reservations_owner_check', sql`${t.orderId} IS NOT NULL OR ${t.holdId} IS NOT NULL`),
  ],
);

/** Append-only ledger: per level, the sums of the deltas equal on_hand and reserved. */
export const inventoryMovements = pgTable(
  'inventory_movements',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    productId: text('product_id').notNull(),
    warehouseId: text('warehouse_id').notNull(),
    deltaOnHand: integer('delta_on_hand').notNull(),
    deltaReserved: integer('delta_reserved').notNull(),
    reason: text('reason').notNull(),
    /** The admin's own words for an adjustment ("damaged"); `reason` stays the ledger's category. */
    note: text('note'),
    orderId: uuid('order_id'),
    /** The stock hold whose units moved (a hold's reservation, release, expiry or conversion). */
    holdId: uuid('hold_id'),
    createdAt: createdAt(),
  },
  (t) => [index('inventory_movements_level_idx').on(t.productId, t.warehouseId, t.id.desc())],
);

export const payments = pgTable(
  'payments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull().references(() => orders.id),
    /** One provider call per key: a retried activity reuses it and never charges twice. */
    idempotencyKey: text('idempotency_key').notNull().unique(),
    amount: money('amount').notNull(),
    currency: text('currency').notNull(),
    status: text('status').notNull(),
    providerRef: text('provider_ref'),
    declineCode: text('decline_code'),
    refundedAt: timestamp('refunded_at', { withTimezone: true }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('payments_order_idx').on(t.orderId),
    check('payments_status_check', sql`${t.status} IN ('pending', 'succeeded', 'declined', 'refunded', 'voided')`),
  ],
);

export const deliveryOrders = pgTable(
  'delivery_orders',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    orderId: uuid('order_id').notNull().references(() => orders.id),
    warehouseId: text('warehouse_id').notNull().references(() => warehouses.id),
    status: text('status').notNull(),
    /** The order's shipping address: the warehouse needs nothing else to ship. */
    shipTo: text('ship_to').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    unique('delivery_orders_order_warehouse_key').on(t.orderId, t.warehouseId),
    index('delivery_orders_status_created_idx').on(t.status, t.createdAt.desc()),
  ],
);

export const deliveryOrderItems = pgTable(
  'delivery_order_items',
  {
    deliveryOrderId: uuid('delivery_order_id').notNull().references(() => deliveryOrders.id),
    productId: text('product_id').notNull().references(() => products.id),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.deliveryOrderId, t.productId] }),
    check('delivery_order_items_quantity_check', sql`${t.quantity} > 0`),
  ],
);

export const customers = pgTable('customers', {
  id: text('id').primaryKey(),
  email: text('email').notNull(),
  /** `active` may order; `blocked` may not (CUSTOMER_NOT_ALLOWED). */
  status: text('status').notNull(),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** `redemptions` counts active redemptions; the CHECK is what makes maxRedemptions hold under concurrency. */
export const vouchers = pgTable(
  'vouchers',
  {
    code: text('code').primaryKey(),
    kind: text('kind').notNull(),
    value: money('value').notNull(),
    currency: text('currency'),
    minSubtotal: money('min_subtotal').notNull().default(0),
    validFrom: timestamp('valid_from', { withTimezone: true }),
    validUntil: timestamp('valid_until', { withTimezone: true }),
    maxRedemptions: integer('max_redemptions'),
    redemptions: integer('redemptions').notNull().default(0),
    active: boolean('active').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    check('vouchers_kind_check', sql`${t.kind} IN ('percent', 'fixed')`),
    check('vouchers_value_check', sql`${t.value} > 0 AND (${t.kind} <> 'percent' OR ${t.value} <= 100)`),
    check(
      'vouchers_redemptions_check',
      sql`${t.redemptions} >= 0 AND (${t.maxRedemptions} IS NULL OR ${t.redemptions} <= ${t.maxRedemptions})`,
    ),
  ],
);

/** One redemption per order; `released` when the order was cancelled or expired before payment. */
export const voucherRedemptions = pgTable(
  'voucher_redemptions',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    voucherCode: text('voucher_code').notNull().references(() => vouchers.code),
    // No foreign key: the redemption is taken before reserveStock writes the order row.
    orderId: uuid('order_id').notNull().unique(),
    discount: money('discount').notNull(),
    status: text('status').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('voucher_redemptions_voucher_idx').on(t.voucherCode, t.status)],
);

/** A customer's return of delivered goods; its items went back on hand, its refund back to the card. */
export const orderReturns = pgTable(
  'order_returns',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id').notNull().references(() => orders.id),
    refundAmount: money('refund_amount').notNull(),
    reason: text('reason'),
    createdAt: createdAt(),
  },
  (t) => [index('order_returns_order_idx').on(t.orderId)],
);

export const returnItems = pgTable(
  'return_items',
  {
    returnId: uuid('return_id').notNull().references(() => orderReturns.id),
    productId: text('product_id').notNull().references(() => products.id),
    warehouseId: text('warehouse_id').notNull().references(() => warehouses.id),
    quantity: integer('quantity').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.returnId, t.productId, t.warehouseId] }),
    check('return_items_quantity_check', sql`${t.quantity} > 0`),
  ],
);

/** Money given back, one row per refund call, idempotent per key (compensation, or a return). */
export const refunds = pgTable(
  'refunds',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    paymentId: uuid('payment_id').notNull().references(() => payments.id),
    orderId: uuid('order_id').notNull().references(() => orders.id),
    idempotencyKey: text('idempotency_key').notNull().unique(),
    amount: money('amount').notNull(),
    /** `pending` from the moment it is recorded (before the provider is asked), `succeeded` once the provider gave it back. */
    status: text('status').notNull().default('pending'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('refunds_order_idx').on(t.orderId),
    check('refunds_amount_check', sql`${t.amount} > 0`),
    check('refunds_status_check', sql`${t.status} IN ('pending', 'succeeded')`),
  ],
);

/**
 * The API's Idempotency-Key records (API.md conventions): one per caller and key, with what the
 * keyed request was for and, once it finished, the answer to repeat. Kept by this service, so a
 * repeat never depends on how long the workflow engine retains closed sagas.
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    /** The credential's subject the key is scoped to. */
    caller: text('caller').notNull(),
    key: text('key').notNull(),
    /** What the keyed request did (`place`, `pay`, `cancel`, `return`). */
    operation: text('operation').notNull(),
    /** What it did it to (an order id). */
    target: text('target').notNull(),
    /** Fingerprint of the request body: the same key with another body is IDEMPOTENCY_KEY_REUSED. */
    requestHash: text('request_hash').notNull(),
    /** The first answer, once there is one; null while the request is still being carried out. */
    statusCode: integer('status_code'),
    response: jsonb('response'),
    createdAt: createdAt(),
    completedAt: timestamp('completed_at', { withTimezone: true }),
  },
  (t) => [primaryKey({ columns: [t.caller, t.key] })],
);

/**
 * The sandbox payment provider's own books (activities/sandbox-payment-provider.ts): what a real
 * provider keeps on its side. One row per idempotency key: what the key charged, or that it
 * declined, or that it was voided (a tombstone when it never charged), so that a restarted worker
 * never charges a key twice and a voided key never charges at all.
 */
export const sandboxCharges = pgTable(
  'sandbox_charges',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    /** Null for a decline, and for a key voided before it ever charged. */
    providerRef: text('provider_ref').unique(),
    amount: money('amount').notNull().default(0),
    currency: text('currency'),
    status: text('status').notNull(),
    declineCode: text('decline_code'),
    createdAt: createdAt(),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
  },
  (t) => [
    check('sandbox_charges_status_check', sql`${t.status} IN ('succeeded', 'declined', 'voided')`),
    check('sandbox_charges_amount_check', sql`${t.amount} >= 0`),
  ],
);

/** The sandbox provider's refunds, one per refund idempotency key, never more than the charge took. */
export const sandboxRefunds = pgTable(
  'sandbox_refunds',
  {
    idempotencyKey: text('idempotency_key').primaryKey(),
    providerRef: text('provider_ref')
      .notNull()
      .references(() => sandboxCharges.providerRef),
    amount: money('amount').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('sandbox_refunds_provider_ref_idx').on(t.providerRef),
    check('sandbox_refunds_amount_check', sql`${t.amount} > 0`),
  ],
);

// ---------------------------------------------------------------------------------------------
// Events (issue 7): the transactional outbox. Rows are written by db/outbox.ts inside the
// transaction that makes the change, published by workers/outbox-relay.ts, served by GET /events.

/** PostgreSQL's 64-bit transaction id, compared as a number; read back as text (it may exceed 2^53). */
const transactionId = customType<{ data: string; driverData: string }>({ dataType: () => 'xid8' });

/** One event per row, in the envelope's fields (API.md "Events"). */
export const eventOutbox = pgTable(
  'event_outbox',
  {
    /**
     * Insert order. A subject's next event is written only after its previous one committed
     * (see event_subject_sequences), so per subject this is sequence order: the relay's order.
     */
    position: bigserial('position', { mode: 'number' }).primaryKey(),
    id: uuid('id').notNull().unique(),
    type: text('type').notNull(),
    /** The order id, or `productId/warehouseId` for stock events. */
    subject: text('subject').notNull(),
    /** Counts the subject's events from 1, without gaps. */
    sequence: integer('sequence').notNull(),
    correlationId: text('correlation_id'),
    data: jsonb('data').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull().defaultNow(),
    /**
     * The writing transaction: GET /events pages by it and serves only rows of transactions that
     * every snapshot now sees as finished, so a row committed late is never skipped.
     */
    transactionId: transactionId('transaction_id').notNull().default(sql`pg_current_xact_id()`),
    /** `pending` until the broker acknowledged it (`published`); `failed` once the relay gave up. */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
    publishedAt: timestamp('published_at', { withTimezone: true }),
  },
  (t) => [
    unique('event_outbox_subject_sequence_key').on(t.subject, t.sequence),
    index('event_outbox_feed_idx').on(t.transactionId, t.position),
    index('event_outbox_type_feed_idx').on(t.type, t.transactionId, t.position),
    index('event_outbox_pending_idx').on(t.position).where(sql`${t.status} = 'pending'`),
    index('event_outbox_failed_idx').on(t.position).where(sql`${t.status} = 'failed'`),
    check('event_outbox_status_check', sql`${t.status} IN ('pending', 'published', 'failed')`),
    check('event_outbox_sequence_check', sql`${t.sequence} > 0`),
  ],
);

/**
 * The last sequence given out per subject. Taking the next one locks the subject's row until
 * the transaction ends, so a subject's events commit in sequence order and a rolled-back
 * transaction gives its number back (no gaps).
 */
export const eventSubjectSequences = pgTable('event_subject_sequences', {
  subject: text('subject').primaryKey(),
  lastSequence: integer('last_sequence').notNull(),
});
// ---------------------------------------------------------------------------------------------
