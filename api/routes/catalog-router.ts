import { Router } from 'express';
import { asc, eq, getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import type { products, warehouses } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import { sendData } from '../envelope';
import { insertedFlag } from '../inserted-flag';
import { allow } from '../middleware/authenticate';
import { offsetOf, pageMeta, paginationQuery } from '../pagination';
import { catalogId } from '../schemas/ids';
import { parseInput } from '../validation';

/** The admin-named catalog tables. */
type CatalogTable = typeof products | typeof warehouses;

export interface CatalogResource<T extends CatalogTable, Json> {
  table: T;
  /** `product`, `warehouse`: for messages. */
  noun: string;
  /** The path parameter naming the id: `productId`, `warehouseId`. */
  param: string;
  body: z.ZodType<Omit<T['$inferInsert'], 'id'>>;
  toJson(row: T['$inferSelect']): Json;
}

/**
 * PUT (admin: 201 created, 200 replaced), GET one and GET a page by id (any role) of a catalog
 * table. Products and warehouses behave alike, so they share this.
 */
export function catalogRouter<T extends CatalogTable, Json>(db: Db, resource: CatalogResource<T, Json>): Router {
  // drizzle cannot type statements over a union of tables; both have `id` and `updated_at`, and
  // the statements below only name those, so one member's type stands for both.
  const table = resource.table as typeof products;
  const toJson = (row: unknown) => resource.toJson(row as T['$inferSelect']);
  const idParams = z.object({ [resource.param]: catalogId });
  const idOf = (params: unknown) => parseInput('params', idParams, params)[resource.param] as string;
  const path = `/:${resource.param}`;
  const router = Router();

  router.put(path, allow('admin'), async (req, res) => {
    const id = idOf(req.params);
    const body = parseInput('body', resource.body, req.body) as Omit<typeof products.$inferInsert, 'id'>;
    const [row] = await db
      .insert(table)
      .values({ ...body, id })
      .onConflictDoUpdate({ target: table.id, set: { ...body, updatedAt: new Date() } })
      .returning({ ...getTableColumns(table), inserted: insertedFlag });
    sendData(res, row!.inserted ? 201 : 200, toJson(row));
  });

  router.get(path, async (req, res) => {
    const id = idOf(req.params);
    const [row] = await db.select().from(table).where(eq(table.id, id));
    if (!row) throw new DomainError('NOT_FOUND', `${resource.noun} ${id} does not exist`);
    sendData(res, 200, toJson(row));
  });

  router.get('/', async (req, res) => {
    const page = parseInput('query', paginationQuery, req.query);
    const [rows, total] = await Promise.all([
      db.select().from(table).orderBy(asc(table.id)).limit(page.limit).offset(offsetOf(page)),
      db.$count(table),
    ]);
    sendData(res, 200, rows.map(toJson), pageMeta(page, total));
  });

  return router;
}
