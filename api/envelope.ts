import type { Response } from 'express';
import type { ErrorCode } from '../domain/errors';

/** Page information added to `meta` of paginated lists. */
export interface PageMeta {
  page: number;
  limit: number;
  total: number;
  totalPages: number;
}

/** `{ success: true, data, meta: { requestId, ... } }`, the one success shape. */
export function sendData(res: Response, status: number, data: unknown, meta: object = {}): void {
  res.status(status).json({ success: true, data, meta: { requestId: res.locals.requestId, ...meta } });
}

/** `{ success: false, error: { code, message, details }, meta: { requestId } }`, the one error shape. */
export function sendError(res: Response, status: number, code: ErrorCode, message: string, details?: unknown): void {
  res.locals.errorCode = code;
  res.status(status).json({
    success: false,
    error: { code, message, ...(details === undefined ? {} : { details }) },
    meta: { requestId: res.locals.requestId },
  });
}

declare global {
  namespace Express {
    interface Locals {
      /** The contract code of an error answer, for the access log and the metrics. */
      errorCode?: ErrorCode;
    }
  }
}
