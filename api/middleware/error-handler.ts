import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';
import { DomainError } from '../../domain/errors';
import { fromTemporalFailure } from '../../domain/failure';
import type { Logger } from '../../logging/logger';
import { isDependencyOutage } from '../dependency-outage';
import { sendError } from '../envelope';
import { validationError } from '../validation';

/** body-parser's error types, answered with the contract's codes. */
const BODY_ERRORS: Record<string, DomainError> = {
  'entity.too.large': new DomainError('PAYLOAD_TOO_LARGE', 'the request body is too large'),
  'entity.parse.failed': new DomainError('MALFORMED_JSON', 'the request body is not valid JSON'),
  'encoding.unsupported': new DomainError('UNSUPPORTED_MEDIA_TYPE', 'the body encoding is not supported'),
  'charset.unsupported': new DomainError('UNSUPPORTED_MEDIA_TYPE', 'the body charset is not supported; use utf-8'),
};

/** Any route nobody matched: 404 NOT_FOUND in the usual envelope. */
export function notFound(): RequestHandler {
  return (req) => {
    throw new DomainError('NOT_FOUND', `no route for ${req.method} ${req.path}`);
  };
}

/**
 * The one place errors become responses: DomainErrors and Temporal failures carrying one keep
 * their code; schema problems are 400; an unreachable database or Temporal is 503; anything else
 * is a bug, logged with the request id and answered 500 without internals.
 */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const known = classify(err);
    if (known) return sendError(res, known.status, known.code, known.message, known.details);
    if (isDependencyOutage(err)) {
      return sendError(res, 503, 'INVENTORY_UNAVAILABLE', 'the database or the workflow engine is unavailable; retry later');
    }
    // req.log (from the access log) has the request id bound already.
    if (req.log) req.log.error({ err }, 'request failed with a bug');
    else logger.error({ err, requestId: res.locals.requestId }, 'request failed with a bug');
    sendError(res, 500, 'INTERNAL', 'internal error');
  };
}

function classify(err: unknown): DomainError | undefined {
  if (err instanceof ZodError) return validationError(err);
  // The router decodes path parameters before any route runs; `/orders/%` cannot be decoded.
  if (err instanceof URIError && (err as { status?: unknown }).status === 400) {
    return new DomainError('VALIDATION_ERROR', 'a path segment is not valid percent-encoding', [
      { path: '', location: 'params', message: 'is not valid percent-encoding' },
    ]);
  }
  const bodyType = (err as { type?: unknown } | null)?.type;
  if (typeof bodyType === 'string') {
    if (Object.hasOwn(BODY_ERRORS, bodyType)) return BODY_ERRORS[bodyType];
    // Other body-parser 400s: aborted uploads, a Content-Length that does not match the body.
    if ((err as { status?: unknown }).status === 400) {
      return new DomainError('MALFORMED_JSON', 'the request body could not be read');
    }
  }
  return fromTemporalFailure(err);
}
