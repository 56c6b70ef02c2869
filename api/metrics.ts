import { timingSafeEqual } from 'node:crypto';
import type { Request, RequestHandler } from 'express';
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { allow } from './middleware/authenticate';

/** Seconds; placements take tens to hundreds of milliseconds, saga calls are bounded near a minute. */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const PLACEMENT_ROUTE = '/api/v1/orders';
/** The route label of requests answered before any route matched (401, 429, 404). */
const NO_ROUTE = 'none';

/**
 * The API's Prometheus metrics, in a registry of its own (one per app, so tests can run several):
 * every request by method, route pattern and status with its latency, and the answers to
 * POST /orders: placements, and refusals by error code. A keyed repeat is an answer too, so it
 * counts again.
 */
export function createApiMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status',
    labelNames,
    buckets: LATENCY_BUCKETS,
    registers: [registry],
  });
  const placed = new Counter({
    name: 'orders_placed_total',
    help: 'POST /orders answered 201: stock reserved, the order awaits payment',
    registers: [registry],
  });
  const refused = new Counter({
    name: 'order_placement_refusals_total',
    help: 'POST /orders answered with an error, by error code',
    labelNames: ['code'] as const,
    registers: [registry],
  });

  /** Counts and times every request once its answer has gone out (or the client went away). */
  const measure: RequestHandler = (req, res, next) => {
    const stopTimer = latency.startTimer();
    res.once('close', () => {
      const labels = { method: req.method, route: routePattern(req) ?? NO_ROUTE, status: String(res.statusCode) };
      stopTimer(labels);
      requests.inc(labels);
      if (req.method !== 'POST' || labels.route !== PLACEMENT_ROUTE) return;
      if (res.statusCode === 201) placed.inc();
      else if (res.locals.errorCode) refused.inc({ code: res.locals.errorCode });
    });
    next();
  };

  return { registry, measure };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;

/**
 * GET /metrics: Prometheus presents METRICS_TOKEN as a bearer token; a person may use an admin
 * credential instead (API.md).
 */
export function metricsEndpoint(
  registry: Registry,
  metricsToken: string | undefined,
  authenticated: RequestHandler,
): RequestHandler[] {
  const expected = metricsToken === undefined ? undefined : Buffer.from(`Bearer ${metricsToken}`);
  const admin = allow('admin');
  const scraperOrAdmin: RequestHandler = (req, res, next) => {
    const presented = Buffer.from(req.get('authorization') ?? '');
    if (expected && presented.length === expected.length && timingSafeEqual(presented, expected)) return next();
    return authenticated(req, res, (err?: unknown) => (err ? next(err) : admin(req, res, next)));
  };
  const serve: RequestHandler = async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.status(200).send(await registry.metrics());
  };
  return [scraperOrAdmin, serve];
}

/**
 * `/api/v1/orders/:orderId/payment` for a request to `/api/v1/orders/42/payment`: the mount path
 * (the request's leading segments) followed by the matched route's own path, so label values stay
 * few whatever ids the requests carry. Express restores `req.baseUrl` when a router is left (as
 * it is when an error travels to the error handler), so the mount path is recovered from the URL:
 * the route's path accounts for the URL's last segments.
 */
export function routePattern(req: Request): string | undefined {
  const routePath: unknown = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof routePath !== 'string') return undefined;
  const routeSegments = routePath.split('/').filter(Boolean);
  const urlSegments = (req.originalUrl.split('?')[0] ?? '').split('/').filter(Boolean);
  const mount = urlSegments.slice(0, Math.max(0, urlSegments.length - routeSegments.length));
  return `/${[...mount, ...routeSegments].join('/')}`;
}
