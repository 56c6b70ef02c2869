import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { z } from 'zod';
import { errorHandler } from '../../api/middleware/error-handler';
import { mountRoutes, route, type Route } from '../../api/route';
import { testLogger } from '../support/logs';

/** A public GET that answers its name and what it was given. */
function answering(name: string, path: `/${string}`, params?: z.ZodObject<z.core.$ZodShape, z.core.$ZodObjectConfig>): Route {
  return route({
    method: 'get',
    path,
    summary: name,
    access: 'public',
    params,
    answers: [{ status: 200, data: z.string() }],
    handle: ({ params: parsed }, res) => {
      res.json({ name, params: parsed });
    },
  });
}

describe('route declarations', () => {
  let server: Server | undefined;

  afterEach(() => {
    server?.close();
    server = undefined;
  });

  async function serve(routes: Route[]): Promise<(path: string) => Promise<{ status: number; body: any }>> {
    const app = express();
    const router = express.Router();
    mountRoutes(router, routes);
    app.use(router, errorHandler(testLogger));
    server = await new Promise<Server>((resolve) => {
      const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return async (path) => {
      const res = await fetch(base + path);
      return { status: res.status, body: await res.json() };
    };
  }

  it('registers literal path segments before parameters, whatever order the table lists them in', async () => {
    const get = await serve([
      answering('level', '/inventory/{productId}/{warehouseId}', z.object({ productId: z.string(), warehouseId: z.string() })),
      answering('hold', '/inventory/reservations/{reservationId}', z.object({ reservationId: z.string() })),
    ]);
    assert.equal((await get('/inventory/reservations/r-1')).body.name, 'hold');
    assert.deepEqual((await get('/inventory/sku-1/wh-1')).body, { name: 'level', params: { productId: 'sku-1', warehouseId: 'wh-1' } });
  });

  it('gives the handler the parsed params and answers 400 VALIDATION_ERROR before it runs on bad ones', async () => {
    let ran = 0;
    const get = await serve([
      route({
        method: 'get',
        path: '/counts/{count}',
        summary: 'count',
        access: 'public',
        params: z.object({ count: z.coerce.number().int().min(1) }),
        answers: [{ status: 200, data: z.number() }],
        handle: ({ params }, res) => {
          ran++;
          res.json({ doubled: params.count * 2 });
        },
      }),
    ]);
    assert.deepEqual((await get('/counts/21')).body, { doubled: 42 });
    const refused = await get('/counts/0');
    assert.equal(refused.status, 400);
    assert.equal(refused.body.error.code, 'VALIDATION_ERROR');
    assert.equal(refused.body.error.details[0].location, 'params');
    assert.equal(ran, 1);
  });

  it('refuses, at start-up, a path whose parameters its params schema does not declare', () => {
    const router = express.Router();
    assert.throws(() => mountRoutes(router, [answering('undeclared', '/orders/{orderId}')]), /GET \/orders\/\{orderId\}.*\[orderId\]/);
    assert.throws(
      () => mountRoutes(router, [answering('misnamed', '/orders/{orderId}', z.object({ id: z.string() }))]),
      /declares \[id\] but the path names \[orderId\]/,
    );
  });
});
