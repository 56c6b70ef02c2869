import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../domain/errors';
import type { Role } from './auth/principal';
import { paginationQuery } from './pagination';
import { deliveryOrder, listDeliveryOrdersQuery } from './schemas/delivery-orders';
import { catalogId, deliveryOrderParams, levelParams, orderParams } from './schemas/ids';
import { availability, availabilityBody, batchBody, inventoryLevel, levelBody } from './schemas/inventory';
import {
  cancelBody,
  listOrdersQuery,
  order,
  paymentBody,
  placeOrderBody,
  placeOrderHeaders,
  reservation,
} from './schemas/orders';
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
  /** Status and `data` schema of the success answer; `list` adds the page meta. */
  success: Array<{ status: number; data: z.ZodType; list?: boolean; description?: string }>;
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
  ...catalogOperations('products', 'product', product, productBody),
  ...catalogOperations('warehouses', 'warehouse', warehouse, warehouseBody),
  {
    method: 'put',
    path: '/inventory/{productId}/{warehouseId}',
    summary: 'Set the on-hand count (a stock count); written to the ledger',
    roles: ['admin'],
    params: levelParams,
    body: levelBody,
    success: [{ status: 200, data: inventoryLevel }],
    errors: [...INPUT, 'NOT_FOUND', 'STOCK_BELOW_RESERVED'],
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
    path: '/orders',
    summary: 'Place an order: returns once stock is reserved (awaiting_payment) or refused',
    roles: ['admin', 'customer'],
    headers: placeOrderHeaders,
    body: placeOrderBody,
    success: [{ status: 201, data: order }],
    errors: [
      ...INPUT,
      'FORBIDDEN',
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
    summary: 'Cancel before payment; the stock is released before the answer',
    roles: ['admin', 'customer'],
    params: orderParams,
    body: cancelBody,
    success: [{ status: 200, data: order }],
    errors: [...INPUT, 'ORDER_NOT_FOUND', 'FORBIDDEN', 'ORDER_NOT_CANCELLABLE'],
  },
  {
    method: 'get',
    path: '/orders/{orderId}/reservations',
    summary: "The order's stock holds",
    roles: ['admin', 'customer'],
    params: orderParams,
    success: [{ status: 200, data: z.array(reservation) }],
    errors: ['ORDER_NOT_FOUND', 'FORBIDDEN'],
  },
  {
    method: 'get',
    path: '/orders/{orderId}/delivery-orders',
    summary: "The order's delivery orders",
    roles: ALL,
    params: orderParams,
    success: [{ status: 200, data: z.array(deliveryOrder) }],
    errors: ['ORDER_NOT_FOUND', 'FORBIDDEN'],
  },
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

/** PUT, GET one and GET a page of a catalog collection (products, warehouses). */
function catalogOperations(collection: string, noun: string, data: z.ZodType, body: z.ZodType): Operation[] {
  const param = `${noun}Id`;
  const params = z.object({ [param]: catalogId });
  const one = `/${collection}/{${param}}`;
  return [
    {
      method: 'put',
      path: one,
      summary: `Create (201) or replace (200) a ${noun}`,
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
      path: one,
      summary: `One ${noun}`,
      roles: ALL,
      params,
      success: [{ status: 200, data }],
      errors: ['NOT_FOUND'],
    },
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

function envelope(data: z.ZodType, list: boolean): z.ZodType {
  return z.object({ success: z.literal(true), data: list ? z.array(data) : data, meta: list ? pageMetaSchema : meta });
}

/** The OpenAPI 3.1 document of the API, built from the same schemas that validate requests. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const ok of op.success) {
      responses[String(ok.status)] = {
        description: ok.description ?? 'success',
        content: { 'application/json': { schema: jsonSchema(envelope(ok.data, ok.list ?? false), 'output') } },
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
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
      schemas: { ErrorEnvelope: jsonSchema(errorEnvelope, 'output') },
    },
  };
}
