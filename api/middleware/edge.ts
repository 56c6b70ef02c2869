import cors from 'cors';
import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * helmet's headers (CSP, HSTS, nosniff, frame and referrer policies, ...). Its default CSP only
 * lets a page load scripts, styles and fetches from this origin (plus data: images), which is
 * what a Swagger UI served from our own origin at /api/v1/docs needs, and nothing from elsewhere.
 */
export function securityHeaders(): RequestHandler {
  return helmet();
}

/**
 * CORS for the listed origins only (CORS_ORIGINS); with none listed, browsers get no
 * cross-origin access at all. Preflights are answered before authentication: they carry no
 * credentials.
 */
export function crossOrigin(origins: readonly string[]): RequestHandler {
  if (origins.length === 0) return (_req, _res, next) => next();
  return cors({
    origin: [...origins],
    methods: ['GET', 'HEAD', 'PUT', 'POST', 'DELETE'],
    allowedHeaders: ['Content-Type', 'Authorization', 'X-API-Key', 'Idempotency-Key', 'X-Request-Id'],
    exposedHeaders: ['X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });
}
