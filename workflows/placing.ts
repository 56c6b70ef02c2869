/**
 * Placing: check the customer, price the order, redeem its voucher and hold its stock. The shopper
 * waits on this (Update-with-Start answers from here), so every step is short and bounded.
 */
import { CancellationScope, patched, upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { ReservedOrder, ReserveStockInput } from '../activities/inventory';
import type { RejectOrderInput } from '../activities/orders';
import type { DomainError } from '../domain/errors';
import { fromTemporalFailure, hasFailureType, toApplicationFailure } from '../domain/failure';
import { ORDER_ALREADY_PLACED, type Quote } from '../domain/order';
import { applyDiscount } from '../domain/voucher';
import { adoption, durable, placing, placingLocally } from './activities';
import { HoldIdAttribute } from './messages';
import type { OrderRun } from './order-run';

/**
 * `unknown-outcomes-first`: a redemption and a hold whose answer could be lost have their release
 * on the stack before they are asked for, so a saga that fails there gives back whatever happened.
 */
export const UNKNOWN_OUTCOMES_FIRST = 'unknown-outcomes-first';

/**
 * `local-placing`: the placing steps run as local activities, all in the saga's first workflow
 * task, so the shopper's answer costs one task instead of a round trip per step. A task that is
 * lost (a worker crash, a task timeout under load) repeats them: each step then finds this run's
 * own earlier work (validateCustomer and rejectOrder know the run's reservation, checkAvailability
 * counts its holds, redeemVoucher and reserveStock answer as first done), and both releases are
 * on the stack from the start, never discarded, since an earlier attempt may have taken either.
 */
export const LOCAL_PLACING = 'local-placing';

/**
 * `local-refusal`: with local placing, a refusal is settled in the same workflow task by one
 * local step that gives back what the placing took and records the rejection together, so a
 * refused shopper (most of a flash sale's) costs one task, not three activity round trips. If
 * that step fails for good (a database away for its whole bound), the saga falls back on the
 * durable compensations, which retry for as long as it takes.
 */
export const LOCAL_REFUSAL = 'local-refusal';

/**
 * `foreign-order-untouched`: with local placing, the releases go on the stack once validateCustomer
 * has answered, unless its answer is that another saga run placed the order (OrderAlreadyPlaced):
 * such a run took nothing, and its releases would give back that run's holds and redemption.
 */
export const FOREIGN_ORDER_UNTOUCHED = 'foreign-order-untouched';

/**
 * When the releases of what placing takes go on the compensation stack: all before the first
 * step (local placing), each before its step (`unknown-outcomes-first`), or each after its step
 * succeeded (sagas older than both).
 */
type ReleaseTiming = 'up-front' | 'before-each' | 'after-each';

/**
 * Holds the order's stock; false when it was refused (and recorded as rejected). With local
 * placing a cancelled workflow lets the placing finish (its steps are bounded) and then unwinds
 * what it took: a local activity is never cancelled, since a cancelled one can resolve in another
 * order on replay than it did live (temporalio/sdk-rust#803) and break the saga's history.
 */
export async function placeOrder(run: OrderRun): Promise<boolean> {
  run.localPlacing = patched(LOCAL_PLACING);
  return run.localPlacing ? CancellationScope.nonCancellable(() => place(run)) : place(run);
}

async function place(run: OrderRun): Promise<boolean> {
  const { input } = run;
  const steps = run.localPlacing ? placingLocally : placing;
  const releases: ReleaseTiming = run.localPlacing
    ? 'up-front'
    : patched(UNKNOWN_OUTCOMES_FIRST)
      ? 'before-each'
      : 'after-each';
  const pushReleases = () => {
    if (input.voucherCode !== null) run.saga.push(() => durable.releaseVoucher(input.orderId));
    run.saga.push((reason) => durable.releaseStock(input.orderId, reason));
  };
  const releasesOnceOwned = releases === 'up-front' && patched(FOREIGN_ORDER_UNTOUCHED);
  if (releases === 'up-front' && !releasesOnceOwned) pushReleases();
  let reserved: ReservedOrder;
  try {
    if (releasesOnceOwned) await ownedBy(() => steps.validateCustomer(input.customerId, input.orderId), pushReleases);
    else if (run.localPlacing || patched('customer-check')) await steps.validateCustomer(input.customerId, input.orderId);
    // On a hold the units are held already (the hold's own, so they do not look available): only priced.
    const holdId = input.reservationId;
    let priced = holdId
      ? await steps.priceItems(input.items)
      : await steps.checkAvailability(input.items, run.localPlacing ? input.orderId : undefined);
    if (input.voucherCode !== null) priced = await redeem(run, steps, input.voucherCode, priced, releases);
    run.quote = priced;
    const expiresAt = new Date(Date.now() + input.reservationTtlMs).toISOString();
    const release = releases === 'before-each' ? run.saga.push((reason) => durable.releaseStock(input.orderId, reason)) : undefined;
    try {
      // Not cancellable: once asked for, whether the hold exists must be known before a
      // cancelled workflow unwinds.
      const reservation = {
        orderId: input.orderId,
        customerId: input.customerId,
        quote: priced,
        shippingAddress: input.shippingAddress,
        voucherCode: input.voucherCode,
        requestHash: input.requestHash,
        expiresAt,
      };
      reserved = await CancellationScope.nonCancellable(() =>
        holdId ? adoptHold(holdId, reservation) : steps.reserveStock(reservation),
      );
    } catch (err) {
      // A refusal rolled the whole reservation back: there is nothing to release.
      if (release && fromTemporalFailure(err)) run.saga.discard(release);
      throw err;
    }
    if (releases === 'after-each') run.saga.push((reason) => durable.releaseStock(input.orderId, reason));
  } catch (err) {
    const refused = fromTemporalFailure(err);
    if (!refused) throw err;
    await reject(run, refused);
    return false;
  }
  run.allocation = reserved.lines;
  // From the reservation, not the clock: a repeated reserveStock answers the first expiry.
  run.state.reservationExpiresAt = reserved.expiresAt;
  run.placedAtMs = Date.parse(reserved.expiresAt) - input.reservationTtlMs;
  upsertMemo({ total: run.quote.total, currency: run.quote.currency });
  run.enter('awaiting_payment');
  return true;
}

/**
 * Runs validateCustomer, then puts the releases on the stack, before any step that could take
 * something: on any answer but OrderAlreadyPlaced, since even a failed check may follow an earlier
 * attempt of this run (a lost workflow task) that reserved.
 */
async function ownedBy(validate: () => Promise<void>, pushReleases: () => void): Promise<void> {
  try {
    await validate();
  } catch (err) {
    if (!hasFailureType(err, ORDER_ALREADY_PLACED)) pushReleases();
    throw err;
  }
  pushReleases();
}

/**
 * Takes the hold's units over as the order's reservation, in one step of the hold's own workflow
 * (serialised with its release, extension and expiry): nothing is released in between, nothing
 * reserved twice, and the hold ends converted. HOLD_NOT_ACTIVE / HOLD_MISMATCH refuse the order.
 * The saga is findable by the hold's id in the Web UI.
 */
async function adoptHold(holdId: string, reservation: ReserveStockInput): Promise<ReservedOrder> {
  upsertSearchAttributes([{ key: HoldIdAttribute, value: holdId }]);
  return adoption.adoptHold(holdId, reservation);
}

/** Takes one use of the voucher for this order and prices the discount in. */
async function redeem(
  run: OrderRun,
  steps: typeof placing,
  code: string,
  priced: Quote,
  releases: ReleaseTiming,
): Promise<Quote> {
  const { orderId } = run.input;
  const release = releases === 'before-each' ? run.saga.push(() => durable.releaseVoucher(orderId)) : undefined;
  try {
    // Not cancellable, like the hold: a redemption taken must have its release on the stack.
    const { discount } = await CancellationScope.nonCancellable(() =>
      steps.redeemVoucher({
        orderId,
        code,
        subtotal: priced.subtotal,
        currency: priced.currency,
        at: new Date(Date.now()).toISOString(),
      }),
    );
    if (releases === 'after-each') run.saga.push(() => durable.releaseVoucher(orderId));
    return applyDiscount(priced, discount);
  } catch (err) {
    if (release && fromTemporalFailure(err)) run.saga.discard(release);
    throw err;
  }
}

/**
 * Gives back what placing took (a redeemed voucher, and with local placing a hold an earlier
 * attempt may have made), records the refusal, so a repeated request gets the same answer, and
 * ends the saga rejected.
 */
async function reject(run: OrderRun, refused: DomainError): Promise<void> {
  const { input } = run;
  const rejection: RejectOrderInput = {
    orderId: input.orderId,
    customerId: input.customerId,
    items: input.items,
    shippingAddress: input.shippingAddress,
    voucherCode: input.voucherCode,
    requestHash: input.requestHash,
    failure: { code: refused.code, message: refused.message, details: refused.details },
  };
  if (!(run.localPlacing && patched(LOCAL_REFUSAL) && (await rejectedLocally(run, rejection)))) {
    await run.saga.unwind('compensation');
    await durable.rejectOrder(rejection);
  }
  run.state.failure = { code: refused.code, message: refused.message };
  run.refusal = toApplicationFailure(refused);
  run.enter('rejected');
}

/** rejectPlacement as a local step; false when it failed, leaving the stack to the durable path. */
async function rejectedLocally(run: OrderRun, rejection: RejectOrderInput): Promise<boolean> {
  try {
    await placingLocally.rejectPlacement(rejection);
  } catch {
    return false;
  }
  // The stack holds only placing's releases, and rejectPlacement has just done them.
  run.saga.cut();
  return true;
}
