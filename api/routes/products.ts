import type { Router } from 'express';
import { products } from '../../db/schema';
import type { RouteDeps } from '../app';
import { productBody, type Product } from '../schemas/products';
import { catalogRouter } from './catalog-router';

/** The catalog: admins write it; every authenticated caller may read it (storefronts show it). */
export function productsRouter({ database: { db } }: RouteDeps): Router {
  return catalogRouter(db, {
    table: products,
    param: 'productId',
    noun: 'product',
    body: productBody,
    toJson: ({ id, name, price, currency, active }): Product => ({ id, name, price, currency, active }),
  });
}
