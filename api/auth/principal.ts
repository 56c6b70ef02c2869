import type { Request } from 'express';

export const ROLES = ['admin', 'customer', 'warehouse'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, whatever credential proved it. */
export interface Principal {
  role: Role;
  /** The customer id for customers; an optional label for admin and warehouse credentials. */
  subject: string | null;
  /** Which authenticator accepted the request: `api-key` or `jwt`. */
  method: string;
}

/**
 * One way of proving identity. Answers `undefined` when the request carries none of its
 * credentials, so the next authenticator can try; throws UNAUTHENTICATED when they are present
 * but wrong, so a bad key is never silently passed over to another scheme.
 */
export interface Authenticator {
  authenticate(req: Request): Promise<Principal | undefined>;
}

// What the middleware leaves for the routes on `res.locals`.
declare global {
  namespace Express {
    interface Locals {
      requestId: string;
      principal: Principal;
    }
  }
}
