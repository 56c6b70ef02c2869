import type { Router } from 'express';
import { warehouses } from '../../db/schema';
import type { RouteDeps } from '../app';
import { warehouseBody, type Warehouse } from '../schemas/warehouses';
import { catalogRouter } from './catalog-router';

/** Warehouses: admins write them; every authenticated caller may read them. */
export function warehousesRouter({ database: { db } }: RouteDeps): Router {
  return catalogRouter(db, {
    table: warehouses,
    param: 'warehouseId',
    noun: 'warehouse',
    body: warehouseBody,
    toJson: ({ id, name, priority, active }): Warehouse => ({ id, name, priority, active }),
  });
}
