import { z } from 'zod';
import { adjustOnHand, setOnHand, type InventoryLevel } from '../../db/inventory-levels';
import { listMovements, type Movement } from '../../db/movements';
import { DomainError } from '../../domain/errors';
import type { AppDeps } from '../app';
import { ROLES } from '../auth/principal';
import { sendData } from '../envelope';
import { checkAvailability } from '../read-models/availability';
import { findLevels, levelKey, toInventoryLevelJson, type LevelKey } from '../read-models/inventory-level';
import { pageMeta, pageMetaSchema, paginationQuery } from '../pagination';
import { route, type Route } from '../route';
import { levelParams } from '../schemas/ids';
import {
  adjustmentBody,
  availability,
  availabilityBody,
  batchBody,
  inventoryLevel,
  levelBody,
  movement,
  type MovementJson,
} from '../schemas/inventory';

/**
 * Stock levels. Admins set and adjust them; admins and warehouses read them and their ledger;
 * anyone authenticated may ask whether items are available (a storefront does so before
 * offering checkout).
 */
export function inventoryRoutes({ database: { db } }: AppDeps): Route[] {
  async function existingLevel(key: LevelKey): Promise<InventoryLevel> {
    const [level] = await findLevels(db, [key]);
    if (!level) {
      throw new DomainError('NOT_FOUND', `no stock level for product ${key.productId} in warehouse ${key.warehouseId}`);
    }
    return level;
  }

  return [
    route({
      method: 'put',
      path: '/inventory/{productId}/{warehouseId}',
      summary: 'Set the on-hand count (a stock count); written to the ledger',
      access: ['admin'],
      params: levelParams,
      body: levelBody,
      answers: [{ status: 200, data: inventoryLevel }],
      errors: ['NOT_FOUND', 'STOCK_BELOW_RESERVED', 'LIMIT_EXCEEDED'],
      handle: async ({ params: key, body }, res) => {
        const level = await setOnHand(db, { ...key, ...body, correlationId: res.locals.requestId });
        sendData(res, 200, toInventoryLevelJson(level));
      },
    }),
    route({
      method: 'get',
      path: '/inventory/{productId}/{warehouseId}',
      summary: 'One stock level',
      access: ['admin', 'warehouse'],
      params: levelParams,
      answers: [{ status: 200, data: inventoryLevel }],
      errors: ['NOT_FOUND'],
      handle: async ({ params: key }, res) => sendData(res, 200, toInventoryLevelJson(await existingLevel(key))),
    }),
    // Stock found or lost outside any order; the reason goes to the ledger with the movement.
    route({
      method: 'post',
      path: '/inventory/adjustments',
      summary: 'Add or remove on-hand units (found, damaged); written to the ledger with the reason',
      access: ['admin'],
      body: adjustmentBody,
      answers: [{ status: 200, data: inventoryLevel }],
      errors: ['NOT_FOUND', 'STOCK_BELOW_RESERVED', 'LIMIT_EXCEEDED'],
      handle: async ({ body }, res) => {
        sendData(res, 200, toInventoryLevelJson(await adjustOnHand(db, { ...body, correlationId: res.locals.requestId })));
      },
    }),
    route({
      method: 'get',
      path: '/inventory/{productId}/{warehouseId}/movements',
      summary: "A level's ledger, newest first",
      access: ['admin', 'warehouse'],
      params: levelParams,
      query: paginationQuery,
      answers: [{ status: 200, data: z.array(movement), meta: pageMetaSchema }],
      errors: ['NOT_FOUND'],
      handle: async ({ params: key, query: page }, res) => {
        await existingLevel(key);
        const { items, total } = await listMovements(db, { ...key, ...page });
        sendData(res, 200, items.map(toMovementJson), pageMeta(page, total));
      },
    }),
    route({
      method: 'post',
      path: '/inventory/batch',
      summary: 'Several stock levels; pairs without a level are listed in meta.missing',
      access: ['admin', 'warehouse'],
      body: batchBody,
      answers: [
        {
          status: 200,
          data: z.array(inventoryLevel),
          meta: z.object({ total: z.number().int(), missing: z.array(levelParams) }),
        },
      ],
      handle: async ({ body: { items } }, res) => {
        const levels = await findLevels(db, items);
        const found = new Set(levels.map(levelKey));
        const missing = [...new Map(items.map((key) => [levelKey(key), key])).entries()]
          .filter(([key]) => !found.has(key))
          .map(([, pair]) => pair);
        // Pairs without a level are listed in meta rather than failing the whole batch.
        sendData(res, 200, levels.map(toInventoryLevelJson), { total: levels.length, missing });
      },
    }),
    route({
      method: 'post',
      path: '/inventory/check-availability',
      summary: 'Whether items could be reserved now (read-only)',
      access: ROLES,
      body: availabilityBody,
      answers: [{ status: 200, data: availability }],
      errors: ['UNKNOWN_PRODUCT', 'UNKNOWN_WAREHOUSE'],
      handle: async ({ body: { items } }, res) => sendData(res, 200, await checkAvailability(db, items)),
    }),
  ];
}

function toMovementJson(movement: Movement): MovementJson {
  return {
    id: movement.id,
    deltaOnHand: movement.deltaOnHand,
    deltaReserved: movement.deltaReserved,
    reason: movement.reason,
    ...(movement.note === null ? {} : { note: movement.note }),
    ...(movement.orderId === null ? {} : { orderId: movement.orderId }),
    ...(movement.holdId === null ? {} : { holdId: movement.holdId }),
    at: movement.at.toISOString(),
  };
}
