import { z } from 'zod';
import { catalogId, timestamp } from './ids';

export const CUSTOMER_STATUSES = ['active', 'blocked'] as const;

export const customerParams = z.object({ customerId: catalogId });

export const customerBody = z.strictObject({
  email: z.email({ message: 'must be an email address' }).max(254),
  /** `blocked` customers cannot place orders (422 CUSTOMER_NOT_ALLOWED). */
  status: z.enum(CUSTOMER_STATUSES).default('active'),
});

export const customer = z.object({
  id: catalogId,
  email: z.string(),
  status: z.enum(CUSTOMER_STATUSES),
  createdAt: timestamp,
  updatedAt: timestamp,
});

export type CustomerJson = z.infer<typeof customer>;
