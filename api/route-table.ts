import type { RouteDeps } from './app';
import type { Route } from './route';
import { customersRoutes } from './routes/customers';
import { deliveryOrdersRoutes } from './routes/delivery-orders';
import { documentationRoutes } from './routes/documentation';
import { eventsRoutes } from './routes/events';
import { holdsRoutes } from './routes/holds';
import { inventoryRoutes } from './routes/inventory';
import { operationsRoutes } from './routes/operations';
import { orderPaymentsRoutes } from './routes/order-payments';
import { orderReturnsRoutes } from './routes/order-returns';
import { orderTimelineRoutes } from './routes/order-timeline';
import { ordersRoutes } from './routes/orders';
import { productsRoutes } from './routes/products';
import { vouchersRoutes } from './routes/vouchers';
import { warehousesRoutes } from './routes/warehouses';

/**
 * Every route the API serves under /api/v1, and so every operation of its OpenAPI document:
 * Express registers exactly these (api/app.ts) and the document describes exactly these
 * (test/api/openapi.test.ts fails when the two disagree).
 *
 * To add a route, declare it with `route({...})` in the module of its resource under
 * api/routes/ (a new resource: a new `xRoutes(deps): Route[]` module, listed here): method, path
 * in OpenAPI form (`/orders/{orderId}/extend-reservation`), summary, `access` (the roles, or
 * `public`), the zod schemas of its params, query, headers and body, its success `answers`
 * and the `errors` its handler can answer. The handler gets the parsed input; validation,
 * roles and the document follow from the declaration. The order here is the document's; Express
 * registers literal path segments before parameters whatever the order.
 */
export function routeTable(deps: RouteDeps): Route[] {
  const table: Route[] = [
    ...operationsRoutes(deps),
    // The document describes the whole table, these routes included: read once it is complete.
    ...documentationRoutes(() => table),
    ...productsRoutes(deps),
    ...warehousesRoutes(deps),
    ...inventoryRoutes(deps),
    ...holdsRoutes(deps),
    ...customersRoutes(deps),
    ...vouchersRoutes(deps),
    ...ordersRoutes(deps),
    ...orderReturnsRoutes(deps),
    ...orderPaymentsRoutes(deps),
    ...orderTimelineRoutes(deps),
    ...deliveryOrdersRoutes(deps),
    ...eventsRoutes(deps),
  ];
  return table;
}
