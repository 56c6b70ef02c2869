import type { IncomingMessage } from 'node:http';
import type { Request, RequestHandler, Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { Logger } from '../../logging/logger';

/** Probes and scrapes come every few seconds and say nothing about an order. */
const UNLOGGED_PATHS = new Set(['/api/v1/health', '/api/v1/ready', '/metrics']);

/**
 * One access line per request (probes and scrapes excepted) with its request id, status, error
 * code and time; `req.log` is the same logger with the request id bound, for the routes.
 */
export function accessLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    customAttributeKeys: { reqId: 'requestId' },
    // The request id middleware ran first; pino-http uses its id instead of making one up.
    genReqId: (_req, res) => (res as unknown as Response).locals.requestId,
    quietReqLogger: true,
    autoLogging: { ignore: (req) => UNLOGGED_PATHS.has(pathOf(req)) },
    // Never headers: they carry the credentials.
    serializers: {
      req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customProps: (_req, res) => {
      const errorCode = (res as unknown as Response).locals?.errorCode;
      return errorCode ? { errorCode } : {};
    },
    customLogLevel: (_req, res, err) => {
      if (res.statusCode === 500 || (err && res.statusCode < 400)) return 'error';
      // 503 is the contract's "a dependency is away, retry": worth noticing, not a bug.
      return res.statusCode >= 500 ? 'warn' : 'info';
    },
    customSuccessMessage: (req, res) => `${req.method} ${originalUrl(req)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${originalUrl(req)} ${res.statusCode}`,
  });
}

function originalUrl(req: IncomingMessage): string {
  return (req as Request).originalUrl ?? req.url ?? '';
}

function pathOf(req: IncomingMessage): string {
  return originalUrl(req).split('?')[0] ?? '';
}
