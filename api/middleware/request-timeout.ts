import type { ErrorRequestHandler, RequestHandler } from 'express';
import { sendError } from '../envelope';

/**
 * Answers 503 INVENTORY_UNAVAILABLE to a request still unanswered after `timeoutMs`, instead of
 * holding the socket. The work itself goes on (a saga keeps running); a client that retries with
 * the same Idempotency-Key gets its outcome.
 */
export function requestTimeout(timeoutMs: number): RequestHandler {
  return (_req, res, next) => {
    const timer = setTimeout(() => {
      if (res.headersSent) return;
      res.locals.timedOut = true;
      sendError(
        res,
        503,
        'INVENTORY_UNAVAILABLE',
        `no answer within ${timeoutMs} ms; the request may still take effect: retry it (with the same Idempotency-Key) to learn its outcome`,
      );
    }, timeoutMs);
    res.once('close', () => clearTimeout(timer));
    next();
  };
}

/** A handler that finishes after its request timed out fails to write; its answer has gone already. */
export function lateAnswers(): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (!res.locals.timedOut) return next(err);
    req.log.debug({ err }, 'answer after the request timed out dropped');
  };
}

declare global {
  namespace Express {
    interface Locals {
      /** Set once requestTimeout has answered for the handler. */
      timedOut?: boolean;
    }
  }
}
