import type { Response } from 'express';

/**
 * The one warehouse a caller may see delivery orders of: a warehouse credential's subject
 * (`k4=warehouse:wh-east`, or a JWT with role warehouse and sub = the warehouse id). Undefined for
 * admins and for warehouse credentials without a subject, which serve every warehouse.
 */
export function warehouseScopeOf(res: Response): string | undefined {
  const { role, subject } = res.locals.principal;
  return role === 'warehouse' && subject ? subject : undefined;
}
