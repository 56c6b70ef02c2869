import { z } from 'zod';
import { ERROR_STATUS, type ErrorCode } from '../domain/errors';
import { ROLES } from './auth/principal';
import type { Answer, ObjectSchema, Route } from './route';

export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> };

const INPUT_ERRORS: ErrorCode[] = ['VALIDATION_ERROR'];
const BODY_ERRORS: ErrorCode[] = ['MALFORMED_JSON', 'UNSUPPORTED_MEDIA_TYPE', 'PAYLOAD_TOO_LARGE'];
// 503: the database, the workflow engine or the JWKS is away, or the request timed out.
const CREDENTIAL_ERRORS: ErrorCode[] = ['UNAUTHENTICATED', 'RATE_LIMITED', 'INVENTORY_UNAVAILABLE'];

const ABOUT =
  'Every order is a Temporal saga. Money is integer minor units; errors use one envelope, ' +
  '`VALIDATION_ERROR` details are `[{ path, location, message }]`. Everything but the probes and ' +
  'these docs needs an API key (`X-API-Key`) or a bearer token.';

const REQUEST_ID_HEADER = {
  'X-Request-Id': { description: 'the request id, echoed when the client sent a usable one', schema: { type: 'string' } },
};

/**
 * The OpenAPI 3.1 document of the given routes, from the same declarations Express serves and
 * validates with: paths, parameters, bodies, success answers and every error code each route
 * can answer.
 */
export function openApiDocument(routes: readonly Route[], { description = ABOUT }: { description?: string } = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    paths[route.path]![route.method] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Order saga service',
      version: '1',
      description,
    },
    servers: [{ url: '/api/v1' }],
    security: [{ apiKey: [] }, { bearer: [] }],
    tags: [...new Set(routes.map((route) => route.tag))].map((name) => ({ name })),
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
    },
  };
}

/** Every error code a route can answer: its own and those that follow from its declaration. */
export function errorCodesOf(route: Route): ErrorCode[] {
  const codes: ErrorCode[] = [];
  if (route.params || route.query || route.headers || route.body) codes.push(...INPUT_ERRORS);
  if (route.body) codes.push(...BODY_ERRORS);
  if (route.access !== 'public') {
    codes.push(...CREDENTIAL_ERRORS);
    if (route.access.length < ROLES.length) codes.push('FORBIDDEN');
  }
  return [...new Set([...codes, ...route.errors])];
}

function operation(route: Route): Record<string, unknown> {
  const roles = route.access === 'public' ? 'No credentials needed.' : `Roles: ${route.access.join(', ')}.`;
  return {
    operationId: operationId(route),
    tags: [route.tag],
    summary: route.summary,
    description: [route.description, roles].filter(Boolean).join('\n\n'),
    ...(route.access === 'public' ? { security: [] } : { 'x-roles': route.access }),
    parameters: [
      ...parameters(route.params, 'path'),
      ...parameters(route.query, 'query'),
      ...parameters(route.headers, 'header'),
    ],
    ...(route.body && {
      requestBody: {
        required: !route.body.safeParse(undefined).success,
        content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
      },
    }),
    responses: { ...successResponses(route.answers), ...errorResponses(errorCodesOf(route)) },
  };
}

/** `post /orders/{orderId}/payment` → `postOrdersByOrderIdPayment`. */
function operationId({ method, path }: Route): string {
  const words = path
    .split('/')
    .filter(Boolean)
    .map((segment) => segment.replace(/^\{(\w+)\}$/, 'by-$1'))
    .flatMap((segment) => segment.split(/[^A-Za-z0-9]+/))
    .filter(Boolean);
  return method + words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join('');
}

function successResponses(answers: readonly Answer[]): Record<string, unknown> {
  return Object.fromEntries(
    answers.map((answer) => {
      const description = answer.description ?? 'success';
      if ('data' in answer) {
        const meta = z.object({ requestId: z.string() }).extend(answer.meta?.shape ?? {});
        const envelope = z.object({ success: z.literal(true), data: answer.data, meta });
        return [
          String(answer.status),
          { description, headers: REQUEST_ID_HEADER, content: { 'application/json': { schema: jsonSchema(envelope, 'output') } } },
        ];
      }
      const schema = answer.body ? jsonSchema(answer.body, 'output') : {};
      return [String(answer.status), { description, content: { [answer.contentType]: { schema } } }];
    }),
  );
}

/** One response per status, naming its codes; the envelope's `code` is limited to them. */
function errorResponses(codes: readonly ErrorCode[]): Record<string, unknown> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of codes) byStatus.set(ERROR_STATUS[code], [...(byStatus.get(ERROR_STATUS[code]) ?? []), code]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => {
      const envelope = z.object({
        success: z.literal(false),
        error: z.object({ code: z.enum(group), message: z.string(), details: z.unknown().optional() }),
        meta: z.object({ requestId: z.string() }),
      });
      return [
        String(status),
        {
          description: group.join(', '),
          headers: {
            ...REQUEST_ID_HEADER,
            ...(group.includes('RATE_LIMITED') && {
              'Retry-After': { description: 'seconds until the limit allows another request', schema: { type: 'integer' } },
            }),
          },
          content: { 'application/json': { schema: jsonSchema(envelope, 'output') } },
        },
      ];
    }),
  );
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): unknown {
  const generated = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  const { $schema: _dialect, ...rest } = generated;
  return rest;
}

/** Node lower-cases header names; the document shows them as clients write them (`Idempotency-Key`). */
function headerName(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_match, dash: string, letter: string) => dash + letter.toUpperCase());
}

function parameters(schema: ObjectSchema | undefined, place: 'path' | 'query' | 'header'): unknown[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const fieldSchema = field as z.ZodType;
    const { description, ...json } = jsonSchema(fieldSchema, 'input') as { description?: string };
    return {
      name: place === 'header' ? headerName(name) : name,
      in: place,
      required: place === 'path' || !fieldSchema.safeParse(undefined).success,
      ...(description && { description }),
      schema: json,
    };
  });
}
