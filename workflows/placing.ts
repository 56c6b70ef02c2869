/**
 * Placing: check the customer, price the order, redeem its voucher and hold its stock. The shopper
 * waits on this (Update-with-Start answers from here), so every step is short and bounded.
 */
import { CancellationScope, patched, upsertMemo } from '@temporalio/workflow';
import type { ReservedOrder } from '../activities/inventory';
import type { DomainError } from '../domain/errors';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import type { Quote } from '../domain/order';
import { applyDiscount } from '../domain/voucher';
import { durable, placing } from './activities';
import type { OrderRun } from './order-run';

/**
 * `unknown-outcomes-first`: a redemption and a hold whose answer could be lost have their release
 * on the stack before they are asked for, so a saga that fails there gives back whatever happened.
 */
export const UNKNOWN_OUTCOMES_FIRST = 'unknown-outcomes-first';

/** Holds the order's stock; false when it was refused (and recorded as rejected). */
export async function placeOrder(run: OrderRun): Promise<boolean> {
  const { input } = run;
  const pushFirst = patched(UNKNOWN_OUTCOMES_FIRST);
  let reserved: ReservedOrder;
  try {
    if (patched('customer-check')) await placing.validateCustomer(input.customerId, input.orderId);
    let priced = await placing.checkAvailability(input.items);
    if (input.voucherCode !== null) priced = await redeem(run, input.voucherCode, priced, pushFirst);
    run.quote = priced;
    const expiresAt = new Date(Date.now() + input.reservationTtlMs).toISOString();
    const release = pushFirst ? run.saga.push((reason) => durable.releaseStock(input.orderId, reason)) : undefined;
    try {
      // Not cancellable: once asked for, whether the hold exists must be known before a
      // cancelled workflow unwinds.
      reserved = await CancellationScope.nonCancellable(() =>
        placing.reserveStock({
          orderId: input.orderId,
          customerId: input.customerId,
          quote: priced,
          shippingAddress: input.shippingAddress,
          voucherCode: input.voucherCode,
          requestHash: input.requestHash,
          expiresAt,
        }),
      );
    } catch (err) {
      // A refusal rolled the whole reservation back: there is nothing to release.
      if (release && fromTemporalFailure(err)) run.saga.discard(release);
      throw err;
    }
    if (!release) run.saga.push((reason) => durable.releaseStock(input.orderId, reason));
  } catch (err) {
    const refused = fromTemporalFailure(err);
    if (!refused) throw err;
    await reject(run, refused);
    return false;
  }
  run.allocation = reserved.lines;
  run.state.reservationExpiresAt = reserved.expiresAt;
  upsertMemo({ total: run.quote.total, currency: run.quote.currency });
  run.enter('awaiting_payment');
  return true;
}

/** Takes one use of the voucher for this order and prices the discount in. */
async function redeem(run: OrderRun, code: string, priced: Quote, pushFirst: boolean): Promise<Quote> {
  const { orderId } = run.input;
  const release = pushFirst ? run.saga.push(() => durable.releaseVoucher(orderId)) : undefined;
  try {
    // Not cancellable, like the hold: a redemption taken must have its release on the stack.
    const { discount } = await CancellationScope.nonCancellable(() =>
      placing.redeemVoucher({
        orderId,
        code,
        subtotal: priced.subtotal,
        currency: priced.currency,
        at: new Date(Date.now()).toISOString(),
      }),
    );
    if (!release) run.saga.push(() => durable.releaseVoucher(orderId));
    return applyDiscount(priced, discount);
  } catch (err) {
    if (release && fromTemporalFailure(err)) run.saga.discard(release);
    throw err;
  }
}

/**
 * Gives back what placing took (a redeemed voucher), records the refusal, so a repeated request
 * gets the same answer, and ends the saga rejected.
 */
async function reject(run: OrderRun, refused: DomainError): Promise<void> {
  const { input } = run;
  await run.saga.unwind('compensation');
  await durable.rejectOrder({
    orderId: input.orderId,
    customerId: input.customerId,
    items: input.items,
    shippingAddress: input.shippingAddress,
    voucherCode: input.voucherCode,
    requestHash: input.requestHash,
    failure: { code: refused.code, message: refused.message, details: refused.details },
  });
  run.state.failure = { code: refused.code, message: refused.message };
  run.refusal = toApplicationFailure(refused);
  run.enter('rejected');
}
