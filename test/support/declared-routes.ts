import type { RouteDeps } from '../../api/app';
import { openApiDocument, type OpenApiDocument } from '../../api/openapi';
import { routeTable } from '../../api/route-table';
import { loadConfig } from '../../domain/config';

/**
 * The OpenAPI document of the route table, built without a running stack, for tests that need
 * the operations while mocha collects them (before any stack exists). The declarations only keep
 * their dependencies for their handlers, which are never called here.
 */
export function declaredDocument(): OpenApiDocument {
  const deps = { config: loadConfig({ NODE_ENV: 'test' }), database: {}, temporal: {}, workflows: {}, links: {} } as unknown as RouteDeps;
  return openApiDocument(routeTable(deps));
}
