import { z } from 'zod';
import type { PageMeta } from './envelope';

export const MAX_LIMIT = 100;
// Bounded so page * limit stays a safe integer for the OFFSET clause.
const MAX_PAGE = 1_000_000;

/** `?page&limit` of every paginated list: page from 1, limit 1-100 (default 20). */
export const paginationQuery = z.object({
  page: z.coerce.number().int().min(1).max(MAX_PAGE).default(1),
  limit: z.coerce.number().int().min(1).max(MAX_LIMIT).default(20),
});

export type Pagination = z.output<typeof paginationQuery>;

export function offsetOf({ page, limit }: Pagination): number {
  return (page - 1) * limit;
}

export function pageMeta({ page, limit }: Pagination, total: number): PageMeta {
  return { page, limit, total, totalPages: Math.ceil(total / limit) };
}

/** What `meta` of a paginated list carries besides the request id. */
export const pageMetaSchema = z.object({
  page: z.number().int(),
  limit: z.number().int(),
  total: z.number().int(),
  totalPages: z.number().int(),
});

/** `meta` of a list that comes back whole (one order's payments, returns, ...). */
export const totalMetaSchema = z.object({ total: z.number().int() });
