import { eq, getTableColumns } from 'drizzle-orm';
import { customers } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { insertedFlag } from '../inserted-flag';
import { createdOrReplaced, route, type Route } from '../route';
import { customer, customerBody, customerParams, type CustomerJson } from '../schemas/customers';

type CustomerRow = typeof customers.$inferSelect;

/**
 * Customers: admins create, replace and block them; a customer may read their own record. Who
 * may order is decided by the saga (validateCustomer), from these rows.
 */
export function customersRoutes({ database: { db } }: RouteDeps): Route[] {
  return [
    route({
      method: 'put',
      path: '/customers/{customerId}',
      summary: 'Create (201) or replace (200) a customer; blocked customers cannot order',
      access: ['admin'],
      params: customerParams,
      body: customerBody,
      answers: createdOrReplaced(customer),
      handle: async ({ params: { customerId }, body }, res) => {
        const [row] = await db
          .insert(customers)
          .values({ id: customerId, ...body })
          .onConflictDoUpdate({ target: customers.id, set: { ...body, updatedAt: new Date() } })
          .returning({ ...getTableColumns(customers), inserted: insertedFlag });
        sendData(res, row!.inserted ? 201 : 200, toCustomerJson(row!));
      },
    }),
    route({
      method: 'get',
      path: '/customers/{customerId}',
      summary: 'One customer (admins, or the customer themself)',
      access: ['admin', 'customer'],
      params: customerParams,
      answers: [{ status: 200, data: customer }],
      errors: ['FORBIDDEN', 'NOT_FOUND'],
      handle: async ({ params: { customerId } }, res) => {
        const principal = res.locals.principal;
        if (principal.role === 'customer' && principal.subject !== customerId) {
          throw new DomainError('FORBIDDEN', 'customers can read only their own record');
        }
        const [row] = await db.select().from(customers).where(eq(customers.id, customerId));
        if (!row) throw new DomainError('NOT_FOUND', `customer ${customerId} does not exist`);
        sendData(res, 200, toCustomerJson(row));
      },
    }),
  ];
}

function toCustomerJson(row: CustomerRow): CustomerJson {
  return {
    id: row.id,
    email: row.email,
    status: row.status as CustomerJson['status'],
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
