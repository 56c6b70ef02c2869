import { products } from '../../db/schema';
import type { RouteDeps } from '../app';
import type { Route } from '../route';
import { product, productBody, type Product } from '../schemas/products';
import { catalogRoutes } from './catalog-routes';

/** The catalog: admins write it; every authenticated caller may read it (storefronts show it). */
export function productsRoutes({ database: { db } }: RouteDeps): Route[] {
  return catalogRoutes(db, {
    table: products,
    collection: 'products',
    param: 'productId',
    noun: 'product',
    body: productBody,
    data: product,
    toJson: ({ id, name, price, currency, active }): Product => ({ id, name, price, currency, active }),
  });
}
