import { eq, getTableColumns } from 'drizzle-orm';
import { vouchers } from '../../db/schema';
import { DomainError } from '../../domain/errors';
import { causesOf } from '../../domain/failure';
import type { RouteDeps } from '../app';
import { sendData } from '../envelope';
import { insertedFlag } from '../inserted-flag';
import { createdOrReplaced, route, type Route } from '../route';
import { voucher, voucherBody, voucherParams, type VoucherJson } from '../schemas/vouchers';

type VoucherRow = typeof vouchers.$inferSelect;

const REDEMPTIONS_CHECK = 'vouchers_redemptions_check';

/**
 * Vouchers, for admins. PUT creates or replaces one; the count of redemptions held by orders is
 * the saga's (redeemVoucher / releaseVoucher) and survives a replace.
 */
export function vouchersRoutes({ database: { db } }: RouteDeps): Route[] {
  const routes = [
    route({
      method: 'put',
      path: '/vouchers/{code}',
      summary: 'Create (201) or replace (200) a voucher; its redemptions are kept',
      description: '`maxRedemptions` below the redemptions orders already hold is a VALIDATION_ERROR.',
      access: ['admin'],
      params: voucherParams,
      body: voucherBody,
      answers: createdOrReplaced(voucher),
      handle: async ({ params: { code }, body }, res) => {
        const fields = {
          ...body,
          validFrom: body.validFrom === null ? null : new Date(body.validFrom),
          validUntil: body.validUntil === null ? null : new Date(body.validUntil),
        };
        let row: (VoucherRow & { inserted: boolean }) | undefined;
        try {
          [row] = await db
            .insert(vouchers)
            .values({ code, ...fields })
            .onConflictDoUpdate({ target: vouchers.code, set: { ...fields, updatedAt: new Date() } })
            .returning({ ...getTableColumns(vouchers), inserted: insertedFlag });
        } catch (err) {
          // The database guards redemptions <= maxRedemptions, also against a racing redemption.
          if (violates(err, REDEMPTIONS_CHECK)) throw belowRedemptions(await currentRedemptions(code));
          throw err;
        }
        sendData(res, row!.inserted ? 201 : 200, toVoucherJson(row!));
      },
    }),
    route({
      method: 'get',
      path: '/vouchers/{code}',
      summary: 'One voucher, with the redemptions orders hold',
      access: ['admin'],
      params: voucherParams,
      answers: [{ status: 200, data: voucher }],
      errors: ['NOT_FOUND'],
      handle: async ({ params: { code } }, res) => {
        const [row] = await db.select().from(vouchers).where(eq(vouchers.code, code));
        if (!row) throw new DomainError('NOT_FOUND', `voucher ${code} does not exist`);
        sendData(res, 200, toVoucherJson(row));
      },
    }),
  ];

  async function currentRedemptions(code: string): Promise<number | undefined> {
    const [row] = await db.select({ redemptions: vouchers.redemptions }).from(vouchers).where(eq(vouchers.code, code));
    return row?.redemptions;
  }

  return routes;
}

function belowRedemptions(redemptions: number | undefined): DomainError {
  const message = `cannot be below the ${redemptions ?? 'current'} redemptions orders already hold`;
  return new DomainError('VALIDATION_ERROR', `maxRedemptions: ${message}`, [
    { path: 'maxRedemptions', location: 'body', message },
  ]);
}

/** True when a database error (or one it caused) is a violation of the named constraint. */
function violates(err: unknown, constraint: string): boolean {
  for (const current of causesOf(err, 5)) {
    if ((current as { constraint_name?: unknown }).constraint_name === constraint) return true;
  }
  return false;
}

function toVoucherJson(row: VoucherRow): VoucherJson {
  return {
    code: row.code,
    kind: row.kind as VoucherJson['kind'],
    value: row.value,
    currency: row.currency,
    minSubtotal: row.minSubtotal,
    validFrom: row.validFrom?.toISOString() ?? null,
    validUntil: row.validUntil?.toISOString() ?? null,
    maxRedemptions: row.maxRedemptions,
    redemptions: row.redemptions,
    active: row.active,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}
