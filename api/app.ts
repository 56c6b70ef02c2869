import express from 'express';
import type { Client } from '@temporalio/client';
import type { Database } from '../db/client';
import type { Config } from '../domain/config';
import { createApiKeyAuthenticator } from './auth/api-key-authenticator';
import { createJwtAuthenticator } from './auth/jwt-authenticator';
import type { Authenticator } from './auth/principal';
import { authenticate } from './middleware/authenticate';
import { errorHandler, notFound } from './middleware/error-handler';
import { jsonBody } from './middleware/json-body';
import { requestId } from './middleware/request-id';
import { createOrderWorkflows, type OrderWorkflows } from './order-workflows';
import { orderLinks, type OrderLinks } from './read-models/order';
import { customersRouter } from './routes/customers';
import { deliveryOrdersRouter } from './routes/delivery-orders';
import { eventsRouter } from './routes/events';
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
  const authenticators: Authenticator[] = [
    createApiKeyAuthenticator(deps.config),
    createJwtAuthenticator(deps.config),
  ].filter((a): a is Authenticator => a !== undefined);
  if (authenticators.length === 0) {
    throw new Error(
      'no credentials are configured: set API_KEYS, or JWT_SECRET / JWT_JWKS_URL (one is required when NODE_ENV=production)',
    );
  }
  const routeDeps: RouteDeps = {
    ...deps,
    workflows: createOrderWorkflows(deps.config, deps.temporal),
    links: orderLinks(deps.config),
  };
  const authenticated = authenticate(authenticators);

  const api = express.Router();
  api.use(operationsRouter(routeDeps, authenticated));
  api.use(authenticated, ...jsonBody(deps.config.BODY_LIMIT));
  api.use('/products', productsRouter(routeDeps));
  api.use('/warehouses', warehousesRouter(routeDeps));
  api.use('/inventory', inventoryRouter(routeDeps));
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
  app.use(requestId());
  app.use('/api/v1', api);
  app.use(notFound());
  app.use(errorHandler());
  return app;
}
