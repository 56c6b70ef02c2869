import express, { type RequestHandler } from 'express';
import { DomainError } from '../../domain/errors';

const JSON_TYPES = ['application/json', 'application/*+json'];

/**
 * Parses JSON bodies up to `limit`. A body that is not JSON is refused with 415 instead of being
 * ignored, so a client that forgot its Content-Type learns why its fields "disappeared".
 */
export function jsonBody(limit: string): RequestHandler[] {
  return [
    (req, _res, next) => {
      // req.is answers null when there is no body, false when its type does not match; an empty
      // body (Content-Length: 0, as fetch sends for a bare POST) is no body either.
      if (req.is(JSON_TYPES) === false && req.get('content-length') !== '0') {
        throw new DomainError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
      }
      next();
    },
    // Not strict: `null` or `12` is JSON, just the wrong shape, so the schema answers VALIDATION_ERROR.
    express.json({ limit, type: JSON_TYPES, strict: false }),
  ];
}
