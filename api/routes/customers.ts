import { Router } from 'express';
import { eq, getTableColumns } from 'drizzle-orm';
import { customers } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { insertedFlag } from '../inserted-flag';
import { allow } from '../middleware/authenticate';
import { customerBody, customerParams, type CustomerJson } from '../schemas/customers';
import { parseInput } from '../validation';

type CustomerRow = typeof customers.$inferSelect;

/**
 * Customers: admins create, replace and block them; a customer may read their own record. Who
 * may order is decided by the saga (validateCustomer), from these rows.
 */
export function customersRouter({ database: { db } }: RouteDeps): Router {
  const router = Router();

  router.put('/:customerId', allow('admin'), async (req, res) => {
    const { customerId } = parseInput('params', customerParams, req.params);
    const body = parseInput('body', customerBody, req.body);
    const [row] = await db
      .insert(customers)
      .values({ id: customerId, ...body })
      .onConflictDoUpdate({ target: customers.id, set: { ...body, updatedAt: new Date() } })
      .returning({ ...getTableColumns(customers), inserted: insertedFlag });
    sendData(res, row!.inserted ? 201 : 200, toCustomerJson(row!));
  });

  router.get('/:customerId', allow('admin', 'customer'), async (req, res) => {
    const { customerId } = parseInput('params', customerParams, req.params);
    const principal = res.locals.principal;
    if (principal.role === 'customer' && principal.subject !== customerId) {
      throw new DomainError('FORBIDDEN', 'customers can read only their own record');
    }
    const [row] = await db.select().from(customers).where(eq(customers.id, customerId));
    if (!row) throw new DomainError('NOT_FOUND', `customer ${customerId} does not exist`);
    sendData(res, 200, toCustomerJson(row));
  });

  return router;
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
