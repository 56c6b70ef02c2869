import type { RequestHandler } from 'express';
import { DomainError } from '../../domain/errors';
import type { Authenticator, Role } from '../auth/principal';

/** Tries each authenticator in turn; the first that recognises a credential decides. */
export function authenticate(authenticators: readonly Authenticator[]): RequestHandler {
  return async (req, res, next) => {
    for (const authenticator of authenticators) {
      const principal = await authenticator.authenticate(req);
      if (principal) {
        res.locals.principal = principal;
        return next();
      }
    }
    throw new DomainError('UNAUTHENTICATED', 'credentials are required: send an X-API-Key header or an Authorization: Bearer token');
  };
}

/** Lets only the given roles through (403 FORBIDDEN otherwise). */
export function allow(...roles: Role[]): RequestHandler {
  return (_req, res, next) => {
    if (!roles.includes(res.locals.principal.role)) {
      throw new DomainError('FORBIDDEN', `this needs the ${roles.join(' or ')} role`);
    }
    next();
  };
}
