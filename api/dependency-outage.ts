import { isGrpcServiceError, WorkflowUpdateRPCTimeoutOrCancelledError } from '@temporalio/client';
import { causesOf } from '../domain/failure';

// postgres.js connection failures and the socket errors underneath them.
const CONNECTION_CODES = new Set([
  'CONNECTION_CLOSED',
  'CONNECTION_ENDED',
  'CONNECTION_DESTROYED',
  'CONNECT_TIMEOUT',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'EPIPE',
]);
// SQLSTATE classes 08 (connection exception), 53 (insufficient resources), 57P (operator intervention).
const UNAVAILABLE_SQLSTATE = /^(08|53|57P)/;
// gRPC status codes CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, UNAVAILABLE (@grpc/grpc-js is
// only a transitive dependency, so the numbers are spelled out).
const UNAVAILABLE_GRPC = new Set<number>([1, 4, 8, 14]);

/**
 * True when an error means the database or Temporal could not be reached (or did not answer in
 * time), as opposed to a bug: the client gets 503 INVENTORY_UNAVAILABLE and may retry.
 */
export function isDependencyOutage(err: unknown): boolean {
  for (const current of causesOf(err)) {
    if (current instanceof WorkflowUpdateRPCTimeoutOrCancelledError) return true;
    if (isGrpcServiceError(current) && UNAVAILABLE_GRPC.has(current.code)) return true;
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code))) return true;
  }
  return false;
}
