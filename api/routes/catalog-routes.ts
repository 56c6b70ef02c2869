import { asc, eq, getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../../db/client';
import type { products, warehouses } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import { ROLES } from '../auth/principal';
import { sendData } from '../envelope';
import { insertedFlag } from '../inserted-flag';
import { offsetOf, pageMeta, pageMetaSchema, paginationQuery } from '../pagination';
import { createdOrReplaced, route, type Route } from '../route';
import { catalogId } from '../schemas/ids';

/** The admin-named catalog tables. */
type CatalogTable = typeof products | typeof warehouses;

export interface CatalogResource<T extends CatalogTable, Json> {
  table: T;
  /** `products`, `warehouses`: the path. */
  collection: string;
  /** `product`, `warehouse`: for messages. */
  noun: string;
  /** The path parameter naming the id: `productId`, `warehouseId`. */
  param: string;
  body: z.ZodType<Omit<T['$inferInsert'], 'id'>>;
  /** The resource as answered. */
  data: z.ZodType<Json>;
  toJson(row: T['$inferSelect']): Json;
}

/**
 * PUT (admin: 201 created, 200 replaced), GET one and GET a page by id (any role) of a catalog
 * table. Products and warehouses behave alike, so they share this.
 */
export function catalogRoutes<T extends CatalogTable, Json>(db: Db, resource: CatalogResource<T, Json>): Route[] {
  // drizzle cannot type statements over a union of tables; both have `id` and `updated_at`, and
  // the statements below only name those, so one member's type stands for both.
  const table = resource.table as typeof products;
  const toJson = (row: unknown) => resource.toJson(row as T['$inferSelect']);
  const params = z.object({ [resource.param]: catalogId });
  const idOf = (parsed: z.output<typeof params>) => parsed[resource.param] as string;
  const { collection, noun, data } = resource;
  const one = `/${collection}/{${resource.param}}` as const;

  return [
    route({
      method: 'put',
      path: one,
      summary: `Create (201) or replace (200) a ${noun}`,
      access: ['admin'],
      params,
      body: resource.body,
      answers: createdOrReplaced(data),
      handle: async ({ params: parsed, body }, res) => {
        const id = idOf(parsed);
        const fields = body as Omit<typeof products.$inferInsert, 'id'>;
        const [row] = await db
          .insert(table)
          .values({ ...fields, id })
          .onConflictDoUpdate({ target: table.id, set: { ...fields, updatedAt: new Date() } })
          .returning({ ...getTableColumns(table), inserted: insertedFlag });
        sendData(res, row!.inserted ? 201 : 200, toJson(row));
      },
    }),
    route({
      method: 'get',
      path: one,
      summary: `One ${noun}`,
      access: ROLES,
      params,
      answers: [{ status: 200, data }],
      errors: ['NOT_FOUND'],
      handle: async ({ params: parsed }, res) => {
        const id = idOf(parsed);
        const [row] = await db.select().from(table).where(eq(table.id, id));
        if (!row) throw new DomainError('NOT_FOUND', `${noun} ${id} does not exist`);
        sendData(res, 200, toJson(row));
      },
    }),
    route({
      method: 'get',
      path: `/${collection}`,
      summary: `All ${collection}, by id`,
      access: ROLES,
      query: paginationQuery,
      answers: [{ status: 200, data: z.array(data), meta: pageMetaSchema }],
      handle: async ({ query: page }, res) => {
        const [rows, total] = await Promise.all([
          db.select().from(table).orderBy(asc(table.id)).limit(page.limit).offset(offsetOf(page)),
          db.$count(table),
        ]);
        sendData(res, 200, rows.map(toJson), pageMeta(page, total));
      },
    }),
  ];
}
