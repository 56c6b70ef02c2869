import { Router } from 'express';
import { setOnHand } from '../../db/inventory-levels';
import { DomainError } from '../../domain/errors';
import type { AppDeps } from '../app';
import { sendData } from '../envelope';
import { allow } from '../middleware/authenticate';
import { checkAvailability } from '../read-models/availability';
import { findLevels, levelKey, toInventoryLevelJson } from '../read-models/inventory-level';
import { levelParams } from '../schemas/ids';
import { availabilityBody, batchBody, levelBody } from '../schemas/inventory';
import { parseInput } from '../validation';

/**
 * Stock levels. Admins set them; admins and warehouses read them; anyone authenticated may ask
 * whether items are available (a storefront does so before offering checkout).
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
    const level = await setOnHand(db, { ...key, ...body });
    sendData(res, 200, toInventoryLevelJson(level));
  });

  router.get('/:productId/:warehouseId', allow('admin', 'warehouse'), async (req, res) => {
    const key = parseInput('params', levelParams, req.params);
    const [level] = await findLevels(db, [key]);
    if (!level) {
      throw new DomainError('NOT_FOUND', `no stock level for product ${key.productId} in warehouse ${key.warehouseId}`);
    }
    sendData(res, 200, toInventoryLevelJson(level));
  });

  return router;
}
