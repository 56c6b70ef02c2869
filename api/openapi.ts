import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../domain/errors';
import type { Role } from './auth/principal';
import { paginationQuery } from './pagination';
import { deliveryOrder, listDeliveryOrdersQuery } from './schemas/delivery-orders';
import { catalogId, deliveryOrderParams, levelParams, orderParams } from './schemas/ids';
import {
  adjustmentBody,
  availability,
  availabilityBody,
  batchBody,
  inventoryLevel,
  levelBody,
  movement,
} from './schemas/inventory';
import { customer, customerBody, customerParams } from './schemas/customers';
import { extendBody, holdParams, releaseBody, reserveBody, stockHold } from './schemas/holds';
import { eventEnvelope, eventParams, failedEventsQuery, feedMeta, feedQuery, relayedEvent } from './schemas/events';
import {
  cancelBody,
  idempotencyHeaders,
  listOrdersQuery,
  order,
  paymentBody,
  placeOrderBody,
  reservation,
} from './schemas/orders';
import { orderPayment } from './schemas/payments';
import { orderReturn, returnBody } from './schemas/returns';
import { timelineEntry } from './schemas/timeline';
import { voucher, voucherBody, voucherParams } from './schemas/vouchers';
import { product, productBody } from './schemas/products';
import { warehouse, warehouseBody } from './schemas/warehouses';

type ObjectSchema = z.ZodObject<z.ZodRawShape>;

interface Operation {
  method: 'get' | 'put' | 'post';
  path: string;
  summary: string;
  /** Roles allowed; empty = no credentials needed. */
  roles: Role[];
  params?: ObjectSchema;
  query?: ObjectSchema;
  headers?: ObjectSchema;
  body?: z.ZodType;
  /** Status and `data` schema of the success answer; `list` adds the page meta (or `meta`, when given). */
  success: Array<{ status: number; data: z.ZodType; list?: boolean; meta?: z.ZodType; description?: string }>;
  errors: ErrorCode[];
}

const ALL: Role[] = ['admin', 'customer', 'warehouse'];
const INPUT: ErrorCode[] = ['VALIDATION_ERROR', 'MALFORMED_JSON', 'PAYLOAD_TOO_LARGE', 'UNSUPPORTED_MEDIA_TYPE'];
const PROBE = z.object({ status: z.enum(['ok', 'ready']) }).catchall(z.string());

/** Every route the API serves, described with the zod schemas the routes validate with. */
const OPERATIONS: Operation[] = [
  {
    method: 'get',
    path: '/health',
    summary: 'The process is running',
    roles: [],
    success: [{ status: 200, data: PROBE }],
    errors: [],
  },
  {
    method: 'get',
    path: '/ready',
    summary: 'The database and the workflow engine answer',
    roles: ALL,
    success: [{ status: 200, data: PROBE }],
    errors: ['INVENTORY_UNAVAILABLE'],
  },
  {
    method: 'get',
    path: '/events',
    summary:
      'Events, oldest first, for consumers that poll instead of subscribing; pass meta.next as `after` to read on. ' +
      'Within a subject, `sequence` counts from 1 without gaps',
    roles: ['admin'],
    query: feedQuery,
    success: [{ status: 200, data: eventEnvelope, list: true, meta: feedMeta }],
    errors: ['VALIDATION_ERROR'],
  },
  {
    method: 'get',
    path: '/events/failed',
    summary: 'Events the relay gave up on (the broker refused them OUTBOX_MAX_ATTEMPTS times), oldest first',
    roles: ['admin'],
    query: failedEventsQuery,
    success: [{ status: 200, data: relayedEvent, list: true }],
    errors: ['VALIDATION_ERROR'],
  },
  {
    method: 'post',
    path: '/events/{eventId}/retry',
    summary: 'Put a failed event back in line for the relay (its attempts counted afresh)',
    roles: ['admin'],
    params: eventParams,
    success: [{ status: 200, data: relayedEvent }],
    errors: ['VALIDATION_ERROR', 'NOT_FOUND', 'EVENT_NOT_FAILED'],
  },
  ...catalogOperations('products', 'product', product, productBody),
  ...catalogOperations('warehouses', 'warehouse', warehouse, warehouseBody),
  ...adminResource({
    path: '/customers/{customerId}',
    noun: 'customer',
    note: 'blocked customers cannot order',
    params: customerParams,
    body: customerBody,
    data: customer,
    readers: ['admin', 'customer'],
    readSummary: 'One customer (admins, or the customer themself)',
  }),
  ...adminResource({
    path: '/vouchers/{code}',
    noun: 'voucher',
    note: 'its redemptions are kept',
    params: voucherParams,
    body: voucherBody,
    data: voucher,
    readers: ['admin'],
    readSummary: 'One voucher, with the redemptions orders hold',
  }),
  {
    method: 'put',
    path: '/inventory/{productId}/{warehouseId}',
    summary: 'Set the on-hand count (a stock count); written to the ledger',
    roles: ['admin'],
    params: levelParams,
    body: levelBody,
    success: [{ status: 200, data: inventoryLevel }],
    errors: [...INPUT, 'NOT_FOUND', 'STOCK_BELOW_RESERVED', 'LIMIT_EXCEEDED'],
  },
  {
    method: 'get',
    path: '/inventory/{productId}/{warehouseId}',
    summary: 'One stock level',
    roles: ['admin', 'warehouse'],
    params: levelParams,
    success: [{ status: 200, data: inventoryLevel }],
    errors: ['NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/inventory/adjustments',
    summary: 'Add or remove on-hand units (found, damaged); written to the ledger with the reason',
    roles: ['admin'],
    body: adjustmentBody,
    success: [{ status: 200, data: inventoryLevel }],
    errors: [...INPUT, 'NOT_FOUND', 'STOCK_BELOW_RESERVED', 'LIMIT_EXCEEDED'],
  },
  {
    method: 'get',
    path: '/inventory/{productId}/{warehouseId}/movements',
    summary: "A level's ledger, newest first",
    roles: ['admin', 'warehouse'],
    params: levelParams,
    query: paginationQuery,
    success: [{ status: 200, data: movement, list: true }],
    errors: ['VALIDATION_ERROR', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/inventory/batch',
    summary: 'Several stock levels; pairs without a level are listed in meta.missing',
    roles: ['admin', 'warehouse'],
    body: batchBody,
    success: [{ status: 200, data: z.array(inventoryLevel) }],
    errors: INPUT,
  },
  {
    method: 'post',
    path: '/inventory/check-availability',
    summary: 'Whether items could be reserved now (read-only)',
    roles: ALL,
    body: availabilityBody,
    success: [{ status: 200, data: availability }],
    errors: [...INPUT, 'UNKNOWN_PRODUCT', 'UNKNOWN_WAREHOUSE'],
  },
  {
    method: 'post',
    path: '/inventory/reserve',
    summary:
      'Hold stock before an order exists (a checkout): 201 once it is held, for expiresIn seconds (default ' +
      'RESERVATION_TTL, at most HOLD_MAX_TTL); lines without a warehouse are allocated as orders are. ' +
      'Customers hold for themselves; admins name customerId',
    roles: ['admin', 'customer'],
    headers: idempotencyHeaders,
    body: reserveBody,
    success: [{ status: 201, data: stockHold }],
    errors: [
      ...INPUT,
      'CUSTOMER_NOT_ALLOWED',
      'INSUFFICIENT_INVENTORY',
      'UNKNOWN_PRODUCT',
      'UNKNOWN_WAREHOUSE',
      'IDEMPOTENCY_KEY_REUSED',
      'INVENTORY_UNAVAILABLE',
    ],
  },
  {
    method: 'get',
    path: '/inventory/reservations/{reservationId}',
    summary: "One stock hold (customers: their own; another customer's answers 404)",
    roles: ['admin', 'customer'],
    params: holdParams,
    success: [{ status: 200, data: stockHold }],
    errors: ['VALIDATION_ERROR', 'NOT_FOUND'],
  },
  {
    method: 'post',
    path: '/inventory/release',
    summary:
      'Give a stock hold back: 200 with the hold, also when it was already released or expired; ' +
      '409 HOLD_NOT_ACTIVE once an order took it',
    roles: ['admin', 'customer'],
    headers: idempotencyHeaders,
    body: releaseBody,
    success: [{ status: 200, data: stockHold }],
    errors: [...INPUT, 'NOT_FOUND', 'HOLD_NOT_ACTIVE', 'IDEMPOTENCY_KEY_REUSED', 'INVENTORY_UNAVAILABLE'],
  },
  {
    method: 'post',
    path: '/inventory/reservations/{reservationId}/extend',
    summary:
      'Push a stock hold\'s expiry out by `by` seconds (default RESERVATION_TTL), at most RESERVATION_MAX_EXTENSIONS ' +
      'times and never past maxExpiresAt (its start + HOLD_MAX_TTL)',
    roles: ['admin', 'customer'],
    params: holdParams,
    headers: idempotencyHeaders,
    body: extendBody,
    success: [{ status: 200, data: stockHold }],
    errors: [...INPUT, 'NOT_FOUND', 'HOLD_NOT_ACTIVE', 'HOLD_NOT_EXTENDABLE', 'IDEMPOTENCY_KEY_REUSED', 'INVENTORY_UNAVAILABLE'],
  },
  {
    method: 'post',
    path: '/orders',
    summary: 'Place an order: returns once stock is reserved (awaiting_payment) or refused',
    roles: ['admin', 'customer'],
    headers: idempotencyHeaders,
    body: placeOrderBody,
    success: [{ status: 201, data: order }],
    errors: [
      ...INPUT,
      'FORBIDDEN',
      'CUSTOMER_NOT_ALLOWED',
      'INSUFFICIENT_INVENTORY',
      'UNKNOWN_PRODUCT',
      'UNKNOWN_WAREHOUSE',
      'VOUCHER_UNAVAILABLE',
      'IDEMPOTENCY_KEY_REUSED',
      'INVENTORY_UNAVAILABLE',
    ],
  },
  {
    method: 'get',
    path: '/orders',
    summary: 'Orders, newest first (customers: their own)',
    roles: ['admin', 'customer'],
    query: listOrdersQuery,
    success: [{ status: 200, data: order, list: true }],
    errors: ['VALIDATION_ERROR', 'FORBIDDEN'],
  },
  {
    method: 'get',
    path: '/orders/{orderId}',
    summary: 'One order',
    roles: ['admin', 'customer'],
    params: orderParams,
    success: [{ status: 200, data: order }],
    errors: ['ORDER_NOT_FOUND', 'FORBIDDEN'],
  },
  {
    method: 'post',
    path: '/orders/{orderId}/payment',
    summary: 'Pay: 200 with the order confirmed and its delivery orders created',
    roles: ['admin', 'customer'],
    params: orderParams,
    body: paymentBody,
    success: [{ status: 200, data: order }],
    errors: [...INPUT, 'ORDER_NOT_FOUND', 'FORBIDDEN', 'PAYMENT_DECLINED', 'ORDER_NOT_PAYABLE', 'PAYMENT_UNAVAILABLE'],
  },
  {
    method: 'post',
    path: '/orders/{orderId}/cancel',
    summary:
      'Cancel before shipment: the stock is released (or, once paid, restocked with the payment ' +
      'refunded and the delivery orders cancelled) before the answer',
    roles: ['admin', 'customer'],
    params: orderParams,
    body: cancelBody,
    success: [{ status: 200, data: order }],
    errors: [...INPUT, 'ORDER_NOT_FOUND', 'FORBIDDEN', 'ORDER_NOT_CANCELLABLE'],
  },
  {
    method: 'post',
    path: '/orders/{orderId}/returns',
    summary:
      'Return delivered goods within RETURN_WINDOW: restocked and refunded (no items: everything not yet returned). ' +
      'An Idempotency-Key repeat answers the same return',
    roles: ['admin', 'customer'],
    params: orderParams,
    headers: idempotencyHeaders,
    body: returnBody,
    success: [{ status: 201, data: orderReturn }],
    errors: [...INPUT, 'ORDER_NOT_FOUND', 'FORBIDDEN', 'RETURN_NOT_ALLOWED', 'IDEMPOTENCY_KEY_REUSED', 'INVENTORY_UNAVAILABLE'],
  },
  orderList('returns', "The order's returns, oldest first", orderReturn),
  orderList(
    'payments',
    "The order's money, oldest first: its charges (pending while an outcome is being found out) and refunds",
    orderPayment,
  ),
  orderList('timeline', "The saga's steps from its workflow history, oldest first", timelineEntry, {
    errors: ['NOT_FOUND', 'INVENTORY_UNAVAILABLE'],
  }),
  orderList('reservations', "The order's stock holds", reservation),
  orderList('delivery-orders', "The order's delivery orders", deliveryOrder, { roles: ALL }),
  {
    method: 'get',
    path: '/delivery-orders',
    summary: 'Delivery orders, newest first',
    roles: ['admin', 'warehouse'],
    query: listDeliveryOrdersQuery,
    success: [{ status: 200, data: deliveryOrder, list: true }],
    errors: ['VALIDATION_ERROR'],
  },
  {
    method: 'get',
    path: '/delivery-orders/{deliveryOrderId}',
    summary: 'One delivery order',
    roles: ['admin', 'warehouse'],
    params: deliveryOrderParams,
    success: [{ status: 200, data: deliveryOrder }],
    errors: ['DELIVERY_ORDER_NOT_FOUND'],
  },
  ...(['ship', 'deliver'] as const).map(
    (step): Operation => ({
      method: 'post',
      path: `/delivery-orders/{deliveryOrderId}/${step}`,
      summary:
        `Mark ${step === 'ship' ? 'shipped (from reserved)' : 'delivered (from shipped)'}; ` +
        '202 if the saga has not recorded it within 10 s',
      roles: ['admin', 'warehouse'],
      params: deliveryOrderParams,
      success: [
        { status: 200, data: deliveryOrder },
        { status: 202, data: deliveryOrder, description: 'accepted; not yet recorded' },
      ],
      errors: [
        'DELIVERY_ORDER_NOT_FOUND',
        step === 'ship' ? 'DELIVERY_ORDER_NOT_SHIPPABLE' : 'DELIVERY_ORDER_NOT_DELIVERABLE',
      ],
    }),
  ),
];

/** GET of a list that belongs to one order (`/orders/{orderId}/<what>`), visible to whoever may see the order. */
function orderList(
  what: string,
  summary: string,
  item: z.ZodType,
  { roles = ['admin', 'customer'], errors = [] }: { roles?: Role[]; errors?: ErrorCode[] } = {},
): Operation {
  return {
    method: 'get',
    path: `/orders/{orderId}/${what}`,
    summary,
    roles,
    params: orderParams,
    success: [{ status: 200, data: z.array(item) }],
    errors: ['ORDER_NOT_FOUND', 'FORBIDDEN', ...errors],
  };
}

/** PUT, GET one and GET a page of a catalog collection (products, warehouses). */
function catalogOperations(collection: string, noun: string, data: z.ZodType, body: z.ZodType): Operation[] {
  const param = `${noun}Id`;
  return [
    ...adminResource({
      path: `/${collection}/{${param}}`,
      noun,
      params: z.object({ [param]: catalogId }),
      body,
      data,
      readers: ALL,
    }),
    {
      method: 'get',
      path: `/${collection}`,
      summary: `All ${collection}, by id`,
      roles: ALL,
      query: paginationQuery,
      success: [{ status: 200, data, list: true }],
      errors: ['VALIDATION_ERROR'],
    },
  ];
}

/** PUT (admin: 201 created, 200 replaced) and GET of one admin-named resource. */
function adminResource(resource: {
  path: string;
  noun: string;
  params: ObjectSchema;
  body: z.ZodType;
  data: z.ZodType;
  readers: Role[];
  /** Said after the PUT summary. */
  note?: string;
  readSummary?: string;
}): Operation[] {
  const { path, noun, params, body, data } = resource;
  return [
    {
      method: 'put',
      path,
      summary: `Create (201) or replace (200) a ${noun}${resource.note ? `; ${resource.note}` : ''}`,
      roles: ['admin'],
      params,
      body,
      success: [
        { status: 201, data, description: 'created' },
        { status: 200, data, description: 'replaced' },
      ],
      errors: INPUT,
    },
    {
      method: 'get',
      path,
      summary: resource.readSummary ?? `One ${noun}`,
      roles: resource.readers,
      params,
      success: [{ status: 200, data }],
      errors: ['NOT_FOUND'],
    },
  ];
}

const meta = z.object({ requestId: z.string() });
const pageMetaSchema = meta.extend({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});
const errorEnvelope = z.object({
  success: z.literal(false),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }),
  meta,
});

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _dialect, ...rest } = generated;
  return rest;
}

function parameters(schema: ObjectSchema | undefined, place: 'path' | 'query' | 'header'): unknown[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => ({
    name,
    in: place,
    required: place === 'path' || !(field as z.ZodType).safeParse(undefined).success,
    schema: jsonSchema(field as z.ZodType, 'input'),
  }));
}

function envelope(data: z.ZodType, list: boolean, listMeta: z.ZodType = pageMetaSchema): z.ZodType {
  return z.object({ success: z.literal(true), data: list ? z.array(data) : data, meta: list ? listMeta : meta });
}

/** The OpenAPI 3.1 document of the API, built from the same schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const ok of op.success) {
      responses[String(ok.status)] = {
        description: ok.description ?? 'success',
        content: { 'application/json': { schema: jsonSchema(envelope(ok.data, ok.list ?? false, ok.meta), 'output') } },
      };
    }
    const codes: ErrorCode[] = [...(op.roles.length ? (['UNAUTHENTICATED', 'FORBIDDEN'] as const) : []), ...op.errors];
    for (const code of new Set(codes)) {
      const status = String(ERROR_STATUS[code]);
      const existing = responses[status] as { description: string } | undefined;
      responses[status] = {
        description: existing ? `${existing.description}, ${code}` : code,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorEnvelope' } } },
      };
    }
    paths[op.path] ??= {};
    paths[op.path]![op.method] = {
      summary: op.summary,
      ...(op.roles.length ? { 'x-roles': op.roles } : { security: [] }),
      parameters: [
        ...parameters(op.params, 'path'),
        ...parameters(op.query, 'query'),
        ...parameters(op.headers, 'header'),
      ],
      ...(op.body
        ? {
            requestBody: {
              required: !op.body.safeParse(undefined).success,
              content: { 'application/json': { schema: jsonSchema(op.body, 'input') } },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Order saga service',
      version: '1',
      description:
        'Every order is a Temporal saga. Errors use one envelope; ' +
        '`VALIDATION_ERROR` details are `[{ path, location, message }]`.',
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }, { bearer: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'HS256 (JWT_SECRET) or RS256/ES256 (JWT_JWKS_URL); exp required; iss/aud checked when configured; ' +
            '`sub` = customer id, `role` = admin | customer | warehouse (default customer).',
        },
      },
      schemas: { ErrorEnvelope: jsonSchema(errorEnvelope, 'output') },
    },
  };
}
