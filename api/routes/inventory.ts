import { Router } from 'express';
import { adjustOnHand, setOnHand, type InventoryLevel } from '../../db/inventory-levels';
import { listMovements, type Movement } from '../../db/movements';
import { DomainError } from '../../domain/errors';
import type { AppDeps } from '../app';
import { sendData } from '../envelope';
import { allow } from '../middleware/authenticate';
import { checkAvailability } from '../read-models/availability';
import { findLevels, levelKey, toInventoryLevelJson, type LevelKey } from '../read-models/inventory-level';
import { pageMeta, paginationQuery } from '../pagination';
import { levelParams } from '../schemas/ids';
import { adjustmentBody, availabilityBody, batchBody, levelBody, type MovementJson } from '../schemas/inventory';
import { parseInput } from '../validation';

/**
 * Stock levels. Admins set and adjust them; admins and warehouses read them and their ledger;
 * anyone authenticated may ask whether items are available (a storefront does so before
 * offering checkout).
 */
export function inventoryRouter({ database: { db } }: AppDeps): Router {
  const router = Router();

  router.post('/check-availability', async (req, res) => {
    const { items } = parseInput('body', availabilityBody, req.body);
    sendData(res, 200, await checkAvailability(db, items));
  });

  router.post('/batch', allow('admin', 'warehouse'), async (req, res) => {
    const { items } = parseInput('body', batchBody, req.body);
    const levels = await findLevels(db, items);
    const found = new Set(levels.map(levelKey));
    const missing = [...new Map(items.map((key) => [levelKey(key), key])).entries()]
      .filter(([key]) => !found.has(key))
      .map(([, pair]) => pair);
    // Pairs without a level are listed in meta rather than failing the whole batch.
    sendData(res, 200, levels.map(toInventoryLevelJson), { total: levels.length, missing });
  });

  router.put('/:productId/:warehouseId', allow('admin'), async (req, res) => {
    const key = parseInput('params', levelParams, req.params);
    const body = parseInput('body', levelBody, req.body);
    const level = await setOnHand(db, { ...key, ...body, correlationId: res.locals.requestId });
    sendData(res, 200, toInventoryLevelJson(level));
  });

  router.get('/:productId/:warehouseId', allow('admin', 'warehouse'), async (req, res) => {
    const key = parseInput('params', levelParams, req.params);
    sendData(res, 200, toInventoryLevelJson(await existingLevel(key)));
  });

  // Stock found or lost outside any order; the reason goes to the ledger with the movement.
  router.post('/adjustments', allow('admin'), async (req, res) => {
    const body = parseInput('body', adjustmentBody, req.body);
    sendData(res, 200, toInventoryLevelJson(await adjustOnHand(db, { ...body, correlationId: res.locals.requestId })));
  });

  router.get('/:productId/:warehouseId/movements', allow('admin', 'warehouse'), async (req, res) => {
    const key = parseInput('params', levelParams, req.params);
    const page = parseInput('query', paginationQuery, req.query);
    await existingLevel(key);
    const { items, total } = await listMovements(db, { ...key, ...page });
    sendData(res, 200, items.map(toMovementJson), pageMeta(page, total));
  });

  async function existingLevel(key: LevelKey): Promise<InventoryLevel> {
    const [level] = await findLevels(db, [key]);
    if (!level) {
      throw new DomainError('NOT_FOUND', `no stock level for product ${key.productId} in warehouse ${key.warehouseId}`);
    }
    return level;
  }

  return router;
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
