import { createHash } from 'node:crypto';
import type { Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import { sendError } from '../envelope';

const WINDOW_MS = 60_000;

/**
 * Authentication followed by RATE_LIMIT requests a minute per credential: an API key counts
 * by its digest, a bearer token by its role and subject, and a request that does not
 * authenticate by its client address (so guessing keys is limited too). The 429 carries
 * Retry-After and the RateLimit headers. Counts live in this process: with several API replicas
 * each enforces the limit on its own share.
 */
export function rateLimitedAuthentication(authenticate: RequestHandler, limit: number | undefined): RequestHandler {
  if (limit === undefined) return authenticate;
  const limiter = rateLimit({
    windowMs: WINDOW_MS,
    limit,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req, res) => credentialKey(req, res),
    handler: (_req, res, _next, options) => {
      const retryAfter = res.getHeader('Retry-After');
      sendError(
        res,
        options.statusCode,
        'RATE_LIMITED',
        `more than ${limit} requests a minute from this credential; retry after ${retryAfter ?? 'a while'} seconds`,
      );
    },
  });
  return async (req, res, next) => {
    // The outcome is held back until the request has been counted, so failures count as well.
    let refusal: unknown;
    let passed = false;
    try {
      await authenticate(req, res, (err?: unknown) => {
        if (err) refusal = err;
        else passed = true;
      });
    } catch (err) {
      refusal = err;
    }
    if (!passed && refusal === undefined) return; // authenticate answered by itself
    await limiter(req, res, (err?: unknown) => next(err ?? refusal));
  };
}

function credentialKey(req: Request, res: Response): string {
  const principal = res.locals.principal as typeof res.locals.principal | undefined;
  if (principal?.method === 'api-key') {
    return `key:${createHash('sha256').update(req.get('x-api-key') ?? '').digest('hex')}`;
  }
  if (principal) return `${principal.method}:${principal.role}:${principal.subject ?? ''}`;
  return `address:${ipKeyGenerator(req.ip ?? '')}`;
}
