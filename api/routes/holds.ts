import { randomUUID } from 'node:crypto';
import type { Response } from 'express';
import { catalogFor } from '../../db/catalog';
import { DomainError } from '../../domain/errors';
import type { RouteDeps } from '../app';
import { customerIdFor } from '../auth/ownership';
import { sendData } from '../envelope';
import { createHoldWorkflows, HoldFinishedError } from '../hold-workflows';
import { holdIdForIdempotencyKey, oncePerKey, updateIdFor } from '../idempotency';
import { keyedRequest } from '../keyed-request';
import { findHoldRow, findVisibleHold, toHoldJson, type HoldRow } from '../read-models/hold';
import { route, type Route } from '../route';
import { extendBody, holdParams, releaseBody, reserveBody, stockHold } from '../schemas/holds';
import { idempotencyHeaders } from '../schemas/orders';

/**
 * Stock holds: a checkout holds stock before an order exists. A customer holds for itself and
 * sees only its own holds (another's answers 404); admins hold for anyone and see all. Release,
 * extend and the expiry are decided by the hold's workflow, never from this read model.
 */
export function holdsRoutes({ config, database: { db }, temporal }: RouteDeps): Route[] {
  const holds = createHoldWorkflows(config, temporal);

  const visibleHold = (res: Response, holdId: string) => findVisibleHold(db, res.locals.principal, holdId);
  const answer = async (res: Response, status: number, holdId: string) =>
    sendData(res, status, await toHoldJson(db, await visibleHold(res, holdId)));

  /** A keyed repeat found the hold's workflow finished: it held (the row exists) or it was refused. */
  async function endedBeforeAnswer(holdId: string): Promise<void> {
    if (await findHoldRow(db, holdId)) return;
    throw new DomainError(
      'INVENTORY_UNAVAILABLE',
      `stock hold ${holdId} ended without holding anything; reserve again with a new Idempotency-Key`,
    );
  }

  return [
    route({
      method: 'post',
      path: '/inventory/reserve',
      summary: 'Hold stock before an order exists (a checkout): 201 once it is held',
      description:
        'Held for expiresIn seconds (default RESERVATION_TTL, at most HOLD_MAX_TTL); lines without a warehouse are ' +
        'allocated as orders are. Customers hold for themselves; admins name customerId.',
      access: ['admin', 'customer'],
      headers: idempotencyHeaders,
      body: reserveBody,
      answers: [{ status: 201, data: stockHold }],
      errors: [
        'FORBIDDEN',
        'CUSTOMER_NOT_ALLOWED',
        'INSUFFICIENT_INVENTORY',
        'UNKNOWN_PRODUCT',
        'UNKNOWN_WAREHOUSE',
        'IDEMPOTENCY_KEY_REUSED',
      ],
      handle: async ({ headers, body }, res) => {
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
        const key = headers['idempotency-key'];
        const holdId = key === undefined ? randomUUID() : holdIdForIdempotencyKey(principal, key);
        const keyed = keyedRequest(res, key, 'hold', holdId, request);
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
      },
    }),
    route({
      method: 'get',
      path: '/inventory/reservations/{reservationId}',
      summary: "One stock hold (customers: their own; another customer's answers 404)",
      access: ['admin', 'customer'],
      params: holdParams,
      answers: [{ status: 200, data: stockHold }],
      errors: ['NOT_FOUND'],
      handle: async ({ params: { reservationId } }, res) => answer(res, 200, reservationId),
    }),
    route({
      method: 'post',
      path: '/inventory/release',
      summary: 'Give a stock hold back: 200 with the hold, also when it was already released or expired',
      description: '409 HOLD_NOT_ACTIVE once an order took it.',
      access: ['admin', 'customer'],
      headers: idempotencyHeaders,
      body: releaseBody,
      answers: [{ status: 200, data: stockHold }],
      errors: ['NOT_FOUND', 'HOLD_NOT_ACTIVE', 'IDEMPOTENCY_KEY_REUSED'],
      handle: async ({ headers, body: { reservationId } }, res) => {
        const keyed = keyedRequest(res, headers['idempotency-key'], 'release', reservationId, {});
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
      },
    }),
    route({
      method: 'post',
      path: '/inventory/reservations/{reservationId}/extend',
      summary: "Push a stock hold's expiry out by `by` seconds (default RESERVATION_TTL)",
      description: 'At most RESERVATION_MAX_EXTENSIONS times and never past maxExpiresAt (its start + HOLD_MAX_TTL).',
      access: ['admin', 'customer'],
      params: holdParams,
      headers: idempotencyHeaders,
      body: extendBody,
      answers: [{ status: 200, data: stockHold }],
      errors: ['NOT_FOUND', 'HOLD_NOT_ACTIVE', 'HOLD_NOT_EXTENDABLE', 'IDEMPOTENCY_KEY_REUSED'],
      handle: async ({ params: { reservationId }, headers, body }, res) => {
        const byMs = body.by === undefined ? config.RESERVATION_TTL : body.by * 1000;
        const keyed = keyedRequest(res, headers['idempotency-key'], 'extend', reservationId, { byMs });
        const held = await visibleHold(res, reservationId);
        await oncePerKey(db, keyed, async () => {
          if (held.status !== 'active') throw notActive(held);
          await holds.extend(reservationId, { byMs }, updateIdFor(keyed));
          return 200;
        });
        await answer(res, 200, reservationId);
      },
    }),
  ];
}

function notActive(row: HoldRow): DomainError {
  return new DomainError('HOLD_NOT_ACTIVE', `stock hold ${row.id} is ${row.status}, not active`, {
    reservationId: row.id,
    status: row.status,
    ...(row.convertedOrderId ? { orderId: row.convertedOrderId } : {}),
  });
}
