import express from 'express';
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client';
import type { Config } from '../domain/config';
import { defaultLogger, type Logger } from '../logging/logger';
import { createApiKeyAuthenticator } from './auth/api-key-authenticator';
import { createJwtAuthenticator } from './auth/jwt-authenticator';
import type { Authenticator } from './auth/principal';
import { createApiMetrics, metricsEndpoint } from './metrics';
import { accessLog } from './middleware/access-log';
import { authenticate } from './middleware/authenticate';
import { crossOrigin, securityHeaders } from './middleware/edge';
import { errorHandler, notFound } from './middleware/error-handler';
import { jsonBody } from './middleware/json-body';
import { rateLimitedAuthentication } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { lateAnswers, requestTimeout } from './middleware/request-timeout';
import { createOrderWorkflows, type OrderWorkflows } from './order-workflows';
import { withRequestIdHeaders } from './temporal-request-id';
import { orderLinks, type OrderLinks } from './read-models/order';
import { customersRouter } from './routes/customers';
import { deliveryOrdersRouter } from './routes/delivery-orders';
import { eventsRouter } from './routes/events';
import { holdsRouter } from './routes/holds';
import { inventoryRouter } from './routes/inventory';
import { operationsRouter } from './routes/operations';
import { orderPaymentsRouter } from './routes/order-payments';
import { orderReturnsRouter } from './routes/order-returns';
import { orderTimelineRouter } from './routes/order-timeline';
import { ordersRouter } from './routes/orders';
import { productsRouter } from './routes/products';
import { vouchersRouter } from './routes/vouchers';
import { warehousesRouter } from './routes/warehouses';

export interface AppDeps {
  config: Config;
  database: Database;
  temporal: Client;
  /** Where the access log and errors go; the process's default logger when absent. */
  logger?: Logger;
}

/** What the routers are built over: the process's one pool, one Temporal client and their wrappers. */
export interface RouteDeps extends AppDeps {
  workflows: OrderWorkflows;
  links: OrderLinks;
}

/**
 * The HTTP API under /api/v1. Throws when no way to authenticate is configured (in production
 * without API_KEYS and without JWT settings), so the process fails at start-up instead of
 * refusing every request.
 */
export function createApp(deps: AppDeps): express.Express {
  const logger = deps.logger ?? defaultLogger().child({ name: 'api' });
  const authenticators: Authenticator[] = [
    createApiKeyAuthenticator(deps.config, (message) => logger.warn(message)),
    createJwtAuthenticator(deps.config),
  ].filter((a): a is Authenticator => a !== undefined);
  if (authenticators.length === 0) {
    throw new Error(
      'no credentials are configured: set API_KEYS, or JWT_SECRET / JWT_JWKS_URL (one is required when NODE_ENV=production)',
    );
  }
  // The saga and its activities log the request id of every call the routes make.
  const temporal = withRequestIdHeaders(deps.temporal);
  const routeDeps: RouteDeps = {
    ...deps,
    temporal,
    workflows: createOrderWorkflows(deps.config, temporal),
    links: orderLinks(deps.config),
  };
  const authenticated = rateLimitedAuthentication(authenticate(authenticators), deps.config.RATE_LIMIT);
  const metrics = createApiMetrics();

  const api = express.Router();
  api.use(operationsRouter(routeDeps, authenticated));
  api.use(authenticated, ...jsonBody(deps.config.BODY_LIMIT));
  api.use('/products', productsRouter(routeDeps));
  api.use('/warehouses', warehousesRouter(routeDeps));
  // Holds first: `/inventory/reservations/{id}` would otherwise be read as a level's `/{productId}/{warehouseId}`.
  api.use('/inventory', holdsRouter(routeDeps), inventoryRouter(routeDeps));
  api.use('/customers', customersRouter(routeDeps));
  api.use('/vouchers', vouchersRouter(routeDeps));
  api.use(
    '/orders',
    ordersRouter(routeDeps),
    orderReturnsRouter(routeDeps),
    orderPaymentsRouter(routeDeps),
    orderTimelineRouter(routeDeps),
  );
  api.use('/delivery-orders', deliveryOrdersRouter(routeDeps));
  api.use('/events', eventsRouter(routeDeps));

  const app = express();
  app.disable('x-powered-by');
  // Every answer carries a fresh requestId, so ETags could never match.
  app.set('etag', false);
  if (deps.config.TRUST_PROXY !== undefined) app.set('trust proxy', deps.config.TRUST_PROXY);
  app.use(requestId(), accessLog(logger), metrics.measure);
  app.use(securityHeaders(), crossOrigin(deps.config.CORS_ORIGINS), requestTimeout(deps.config.REQUEST_TIMEOUT));
  app.get('/metrics', ...metricsEndpoint(metrics.registry, deps.config.METRICS_TOKEN, authenticated));
  app.use('/api/v1', api);
  app.use(notFound());
  app.use(lateAnswers(), errorHandler(logger));
  return app;
}
