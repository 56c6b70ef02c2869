import { warehouses } from '../../db/schema';
import type { RouteDeps } from '../app';
import type { Route } from '../route';
import { warehouse, warehouseBody, type Warehouse } from '../schemas/warehouses';
import { catalogRoutes } from './catalog-routes';

/** Warehouses: admins write them; every authenticated caller may read them. */
export function warehousesRoutes({ database: { db } }: RouteDeps): Route[] {
  return catalogRoutes(db, {
    table: warehouses,
    collection: 'warehouses',
    param: 'warehouseId',
    noun: 'warehouse',
    body: warehouseBody,
    data: warehouse,
    toJson: ({ id, name, priority, active }): Warehouse => ({ id, name, priority, active }),
  });
}
