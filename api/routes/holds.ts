import { randomUUID } from 'node:crypto';
import { Router, type Response } from 'express';
import { catalogFor } from '../../db/catalog';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { customerIdFor } from '../auth/ownership';
import { sendData } from '../envelope';
import { createHoldWorkflows, HoldFinishedError } from '../hold-workflows';
import { holdIdForIdempotencyKey, oncePerKey, updateIdFor } from '../idempotency';
import { keyedRequest } from '../keyed-request';
import { allow } from '../middleware/authenticate';
import { findHoldRow, findVisibleHold, toHoldJson, type HoldRow } from '../read-models/hold';
import { extendBody, holdParams, releaseBody, reserveBody } from '../schemas/holds';
import { idempotencyHeaders } from '../schemas/orders';
import { parseInput } from '../validation';

/**
 * Stock holds: a checkout holds stock before an order exists. A customer holds for itself and
 * sees only its own holds (another's answers 404); admins hold for anyone and see all. Release,
 * extend and the expiry are decided by the hold's workflow, never from this read model.
 */
export function holdsRouter({ config, database: { db }, temporal }: RouteDeps): Router {
  const router = Router();
  const holds = createHoldWorkflows(config, temporal);
  router.use(['/reserve', '/release', '/reservations'], allow('admin', 'customer'));

  const visibleHold = (res: Response, holdId: string) => findVisibleHold(db, res.locals.principal, holdId);
  const answer = async (res: Response, status: number, holdId: string) =>
    sendData(res, status, await toHoldJson(db, await visibleHold(res, holdId)));

  router.post('/reserve', async (req, res) => {
    const body = parseInput('body', reserveBody, req.body);
    const principal = res.locals.principal;
    const expiresInMs = body.expiresIn === undefined ? config.RESERVATION_TTL : body.expiresIn * 1000;
    if (expiresInMs > config.HOLD_MAX_TTL) {
      const message = `must be at most ${config.HOLD_MAX_TTL / 1000} seconds (HOLD_MAX_TTL)`;
      throw new DomainError('VALIDATION_ERROR', `expiresIn: ${message}`, [{ path: 'expiresIn', location: 'body', message }]);
    }
    const request = {
      customerId: customerIdFor(principal, body.customerId),
      // No warehouse named: allocated as an order's line would be.
      items: body.items.map((item) => ({ ...item, warehouseId: item.warehouseId ?? null })),
      expiresInMs,
      metadata: body.metadata ?? {},
    };
    const key = parseInput('headers', idempotencyHeaders, req.headers)['idempotency-key'];
    const holdId = key === undefined ? randomUUID() : holdIdForIdempotencyKey(principal, key);
    const keyed = keyedRequest(req, res, 'hold', holdId, request);
    // Unknown products or warehouses are bad input: refused before any workflow starts.
    await catalogFor(db, body.items);
    await oncePerKey(db, keyed, async () => {
      const placement = await holds.place({
        holdId,
        ...request,
        maxTtlMs: config.HOLD_MAX_TTL,
        maxExtensions: config.RESERVATION_MAX_EXTENSIONS,
      });
      if (placement === 'closed') await endedBeforeAnswer(holdId);
      return 201;
    });
    await answer(res, 201, holdId);
  });

  router.get('/reservations/:reservationId', async (req, res) => {
    const { reservationId } = parseInput('params', holdParams, req.params);
    await answer(res, 200, reservationId);
  });

  // Idempotent: a released or expired hold answers as it is; one an order took answers 409.
  router.post('/release', async (req, res) => {
    const { reservationId } = parseInput('body', releaseBody, req.body);
    const keyed = keyedRequest(req, res, 'release', reservationId, {});
    const held = await visibleHold(res, reservationId);
    await oncePerKey(db, keyed, async () => {
      if (held.status === 'active') {
        try {
          await holds.release(reservationId, updateIdFor(keyed));
        } catch (err) {
          // It ended meanwhile (expired, or converted): the row says which.
          if (!(err instanceof HoldFinishedError)) throw err;
        }
      }
      const after = await visibleHold(res, reservationId);
      if (after.status === 'converted') throw notActive(after);
      return 200;
    });
    await answer(res, 200, reservationId);
  });

  router.post('/reservations/:reservationId/extend', async (req, res) => {
    const { reservationId } = parseInput('params', holdParams, req.params);
    const body = parseInput('body', extendBody, req.body);
    const byMs = body.by === undefined ? config.RESERVATION_TTL : body.by * 1000;
    const keyed = keyedRequest(req, res, 'extend', reservationId, { byMs });
    const held = await visibleHold(res, reservationId);
    await oncePerKey(db, keyed, async () => {
      if (held.status !== 'active') throw notActive(held);
      await holds.extend(reservationId, { byMs }, updateIdFor(keyed));
      return 200;
    });
    await answer(res, 200, reservationId);
  });

  /** A keyed repeat found the hold's workflow finished: it held (the row exists) or it was refused. */
  async function endedBeforeAnswer(holdId: string): Promise<void> {
    if (await findHoldRow(db, holdId)) return;
    throw new DomainError(
      'INVENTORY_UNAVAILABLE',
      `stock hold ${holdId} ended without holding anything; reserve again with a new Idempotency-Key`,
    );
  }

  return router;
}

function notActive(row: HoldRow): DomainError {
  return new DomainError('HOLD_NOT_ACTIVE', `stock hold ${row.id} is ${row.status}, not active`, {
    reservationId: row.id,
    status: row.status,
    ...(row.convertedOrderId ? { orderId: row.convertedOrderId } : {}),
  });
}
