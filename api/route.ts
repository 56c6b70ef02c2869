import type { Request, RequestHandler, Response, Router } from 'express';
import type { z } from 'zod';
import type { ErrorCode } from '../domain/errors';
import type { Role } from './auth/principal';
import { allow } from './middleware/authenticate';
import { parseInput, type InputLocation } from './validation';

/** Path parameters, query strings and headers are flat: one schema per name. */
export type ObjectSchema = z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>;

/** A success answer in the envelope: `{ success: true, data, meta: { requestId, ...meta } }`. */
export interface EnvelopedAnswer {
  status: number;
  description?: string;
  data: z.ZodType;
  /** What `meta` carries besides `requestId` (the page of a list, a feed's cursor). */
  meta?: ObjectSchema;
}

/** A success answer outside the envelope: the OpenAPI document itself, the Swagger UI page and its files. */
export interface PlainAnswer {
  status: number;
  description?: string;
  contentType: string;
  /** The JSON body; absent for what is not JSON (HTML, scripts, images). */
  body?: z.ZodType;
}

export type Answer = EnvelopedAnswer | PlainAnswer;

type Parsed<S> = S extends z.ZodType ? z.output<S> : undefined;

/** The declared parts of a request, parsed: 400 VALIDATION_ERROR before the handler runs otherwise. */
export interface RouteInput<P, Q, H, B> {
  params: Parsed<P>;
  query: Parsed<Q>;
  headers: Parsed<H>;
  body: Parsed<B>;
}

/**
 * One route, declared once: what Express registers and validates, and what the OpenAPI document
 * says, both come from this.
 */
export interface RouteDeclaration<P, Q, H, B> {
  method: 'get' | 'put' | 'post' | 'delete';
  /** Under /api/v1, in OpenAPI's form: `/orders/{orderId}/payment`. */
  path: `/${string}`;
  summary: string;
  description?: string;
  /** The group the document files it under; the path's first segment by default. */
  tag?: string;
  /** `public`: no credentials (probes, the docs). Otherwise the roles let through; others get 403. */
  access: 'public' | readonly Role[];
  params?: P;
  query?: Q;
  /** Header names in lower case, as Node gives them. */
  headers?: H;
  body?: B;
  answers: readonly Answer[];
  /**
   * The contract's error codes the handler itself can answer. Those that follow from the
   * declaration are added by the document: VALIDATION_ERROR for declared input, the body
   * parser's codes for a body, and for routes behind credentials 401, 403 (when not every role
   * may call), 429 and 503 (an unreachable database, workflow engine or JWKS, or the request
   * timeout).
   */
  errors?: readonly ErrorCode[];
  handle(input: RouteInput<P, Q, H, B>, res: Response, req: Request): unknown;
}

/** A declaration with its handler wrapped: the table's entries. */
export interface Route extends Omit<RouteDeclaration<unknown, unknown, unknown, unknown>, 'handle' | 'params' | 'query' | 'headers' | 'body'> {
  params?: ObjectSchema;
  query?: ObjectSchema;
  headers?: ObjectSchema;
  body?: z.ZodType;
  tag: string;
  errors: readonly ErrorCode[];
  /** Parses the declared parts of the request, then runs the handler. */
  serve: RequestHandler;
}

/**
 * Declares a route. The handler gets the request's declared parts already parsed, in the order
 * params, query, headers, body (the first that fails answers 400 VALIDATION_ERROR); parts that
 * are not declared are not looked at.
 */
export function route<
  P extends ObjectSchema | undefined = undefined,
  Q extends ObjectSchema | undefined = undefined,
  H extends ObjectSchema | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(declaration: RouteDeclaration<P, Q, H, B>): Route {
  const { handle, params, query, headers, body, ...rest } = declaration;
  const parts: Array<[InputLocation, z.ZodType | undefined]> = [
    ['params', params],
    ['query', query],
    ['headers', headers],
    ['body', body],
  ];
  return {
    ...rest,
    ...(params && { params }),
    ...(query && { query }),
    ...(headers && { headers }),
    ...(body && { body }),
    tag: declaration.tag ?? declaration.path.split('/')[1]!,
    errors: declaration.errors ?? [],
    serve: async (req, res) => {
      const input: Record<string, unknown> = {};
      for (const [location, schema] of parts) {
        input[location] = schema && parseInput(location, schema, req[location]);
      }
      await handle(input as unknown as RouteInput<P, Q, H, B>, res, req);
    },
  };
}

export function isPublic(route: Route): boolean {
  return route.access === 'public';
}

/** `/orders/{orderId}` in Express's form: `/orders/:orderId`. */
export function expressPath(path: string): string {
  return path.replace(/\{(\w+)\}/g, ':$1');
}

/**
 * Registers routes on an Express router, each behind its roles. Paths whose segments are
 * literal are registered before those with a parameter in the same place, so
 * `/inventory/reservations/{id}` is never taken for `/inventory/{productId}/{warehouseId}`,
 * whatever order the table lists them in. Throws at start-up when a path's parameters and its
 * params schema disagree.
 */
export function mountRoutes(router: Router, routes: readonly Route[]): void {
  for (const entry of [...routes].sort(bySpecificity)) {
    checkParams(entry);
    const roles = entry.access === 'public' ? [] : [allow(...entry.access)];
    router[entry.method](expressPath(entry.path), ...roles, entry.serve);
  }
}

function checkParams({ method, path, params }: Route): void {
  const named = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]).sort();
  const declared = Object.keys(params?.shape ?? {}).sort();
  if (named.join() !== declared.join()) {
    throw new Error(`${method.toUpperCase()} ${path}: its params schema declares [${declared}] but the path names [${named}]`);
  }
}

function bySpecificity(a: Route, b: Route): number {
  const shape = (path: string) => path.split('/').map((segment) => (segment.startsWith('{') ? 1 : 0));
  const [left, right] = [shape(a.path), shape(b.path)];
  for (let i = 0; i < Math.min(left.length, right.length); i++) {
    if (left[i] !== right[i]) return left[i]! - right[i]!;
  }
  return 0;
}

/** The answers of a PUT that creates or replaces a resource named by its path. */
export function createdOrReplaced(data: z.ZodType): Answer[] {
  return [
    { status: 201, data, description: 'created' },
    { status: 200, data, description: 'replaced' },
  ];
}
