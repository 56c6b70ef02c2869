import { DomainError } from '../../domain/errors';
import type { Principal } from './principal';

/** Customers act only on their own orders; other roles were already limited by `allow(...)`. */
export function ensureOwnOrder(principal: Principal, customerId: string): void {
  if (principal.role === 'customer' && principal.subject !== customerId) {
    throw new DomainError('FORBIDDEN', 'this order belongs to another customer');
  }
}

/**
 * The customer an order is placed for: a customer's own id (naming anyone else is 403), or the
 * id an admin must give.
 */
export function customerIdFor(principal: Principal, requested: string | undefined): string {
  if (principal.role === 'customer') {
    if (requested !== undefined) ensureOwnOrder(principal, requested);
    return principal.subject!;
  }
  if (requested === undefined) {
    throw new DomainError('VALIDATION_ERROR', 'customerId: required when an admin places an order', [
      { path: 'customerId', location: 'body', message: 'required when an admin places an order' },
    ]);
  }
  return requested;
}
