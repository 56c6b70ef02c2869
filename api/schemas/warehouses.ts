import { z } from 'zod';
import { catalogId, int32 } from './ids';

export const warehouseBody = z.strictObject({
  name: z.string().trim().min(1).max(200),
  /** Lower is preferred when the server chooses a warehouse. */
  priority: int32.min(0).default(100),
  active: z.boolean().default(true),
});

export const warehouse = z.object({
  id: catalogId,
  name: z.string(),
  priority: z.number().int(),
  active: z.boolean(),
});

export type Warehouse = z.infer<typeof warehouse>;
