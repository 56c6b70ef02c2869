import { desc, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client';
import type { deliveryOrders, orders } from '../../db/schema';
import { offsetOf, type Pagination } from '../pagination';

/** Tables listed newest first: both have `id` and `created_at`. */
type Chronological = typeof orders | typeof deliveryOrders;

/** One page of rows matching `where`, newest first (id breaks ties), and how many match in all. */
export async function newestFirstPage<T extends Chronological>(
  db: Db,
  table: T,
  where: SQL | undefined,
  page: Pagination,
): Promise<[Array<T['$inferSelect']>, number]> {
  // drizzle cannot type statements over a union of tables; the columns named exist in both.
  const t = table as typeof orders;
  const [rows, total] = await Promise.all([
    db.select().from(t).where(where).orderBy(desc(t.createdAt), desc(t.id)).limit(page.limit).offset(offsetOf(page)),
    db.$count(t, where),
  ]);
  return [rows as Array<T['$inferSelect']>, total];
}
