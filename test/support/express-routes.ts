import type { Express } from 'express';

/** The parts of Express 5's router layers (the `router` package) that say what a layer serves. */
interface Layer {
  handle: { stack?: Layer[] };
  /** The path a `use` layer was mounted at (`/api/v1`); undefined or `/` for middleware. */
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Every route an Express app serves, as `GET /api/v1/orders/:orderId`: the app's own routes and
 * those of the routers it mounts, at their mount paths. Middleware that is not a route (the body
 * parser, authentication) is not listed.
 */
export function servedRoutes(app: Express): string[] {
  const stack = (app as unknown as { router: { stack: Layer[] } }).router.stack;
  return walk(stack, '');
}

function walk(stack: Layer[], prefix: string): string[] {
  return stack.flatMap((layer) => {
    if (layer.route) {
      const { path, methods } = layer.route;
      return Object.keys(methods)
        .filter((method) => method !== '_all')
        .map((method) => `${method.toUpperCase()} ${prefix}${path}`);
    }
    if (layer.handle.stack) {
      const mount = layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : '';
      return walk(layer.handle.stack, prefix + mount);
    }
    return [];
  });
}
