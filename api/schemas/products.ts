import { z } from 'zod';
import { CURRENCY } from '../../domain/order';
import { catalogId, int32 } from './ids';

export const productBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Minor units (cents). */
  price: int32.min(0),
  /** The store sells in one currency; accepting others would make order totals meaningless. */
  currency: z.literal(CURRENCY).default(CURRENCY),
  active: z.boolean().default(true),
});

export const product = z.object({
  id: catalogId,
  name: z.string(),
  price: z.number().int(),
  currency: z.string(),
  active: z.boolean(),
});

export type Product = z.infer<typeof product>;
