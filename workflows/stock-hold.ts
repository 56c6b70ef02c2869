/**
 * StockHoldWorkflow: one per stock hold (workflow id `hold-<holdId>`). It holds a checkout's
 * stock before any order exists, on a durable timer that survives restarts, until it is released,
 * it expires, or an order adopts it. Release, extend, adopt and the expiry all take the hold's
 * lock, so every race between them is decided here, in arrival order, from the hold's own state.
 * Deterministic code only.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  setHandler,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { ReservedOrder, ReserveStockInput } from '../activities/inventory';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import { extendExpiry, holdMismatch, type HoldEnd } from '../domain/holds';
import { durable, placing } from './activities';
import { Lock } from './lock';
import { CustomerIdAttribute, HoldIdAttribute, HoldStatusAttribute } from './messages';
import { contractFailure } from './order-run';
import {
  adoptHoldUpdate,
  extendHoldUpdate,
  holdStateQuery,
  placeHoldUpdate,
  releaseHoldUpdate,
  type ExtendRequest,
  type HoldRunStatus,
  type HoldState,
  type StockHoldInput,
} from './stock-hold-messages';

export async function stockHoldWorkflow(input: StockHoldInput): Promise<HoldState> {
  const hold = new HoldRun(input);

  setHandler(placeHoldUpdate, async () => {
    await hold.placed();
    if (hold.refusal) throw hold.refusal;
    return hold.snapshot();
  });
  // Validators refuse at once what the handlers would refuse, leaving nothing in the history.
  setHandler(releaseHoldUpdate, () => release(hold), { validator: () => refuse(hold.refuseRelease()) });
  setHandler(extendHoldUpdate, (request) => extend(hold, request), {
    validator: (request) => refuse(hold.refuseExtension(request)),
  });
  setHandler(adoptHoldUpdate, (order) => adopt(hold, order), { validator: (order) => refuse(hold.refuseAdoption(order)) });
  setHandler(holdStateQuery, () => hold.snapshot());

  hold.enter('pending');
  try {
    if (await place(hold)) await holdUntilItEnds(hold);
  } catch (err) {
    // A cancelled workflow (the Web UI) or a failure: the units go back all the same.
    await CancellationScope.nonCancellable(() => hold.lock.runExclusive(() => giveBack(hold, 'released')));
    throw err;
  }
  // Lets an update that ended the hold answer before the run closes.
  await condition(allHandlersFinished);
  return hold.snapshot();
}

function refuse(refusal: Error | undefined): void {
  if (refusal) throw refusal;
}

/** Holds the stock; false when it was refused (nothing is held). */
async function place(hold: HoldRun): Promise<boolean> {
  const { input } = hold;
  const now = Date.now();
  try {
    await placing.validateCustomer(input.customerId);
    // Not cancellable: once asked for, whether the stock is held must be known before unwinding.
    const held = await CancellationScope.nonCancellable(() =>
      placing.reserveHold({
        holdId: input.holdId,
        customerId: input.customerId,
        items: input.items,
        expiresAt: new Date(now + input.expiresInMs).toISOString(),
        maxExpiresAt: new Date(now + input.maxTtlMs).toISOString(),
        metadata: input.metadata,
      }),
    );
    hold.state.lines = held.lines;
    hold.state.expiresAt = held.expiresAt;
    hold.state.maxExpiresAt = new Date(now + input.maxTtlMs).toISOString();
  } catch (err) {
    const refused = fromTemporalFailure(err);
    if (!refused) throw err;
    hold.state.failure = { code: refused.code, message: refused.message };
    hold.refusal = toApplicationFailure(refused);
    hold.enter('rejected');
    return false;
  }
  hold.enter('active');
  return true;
}

/** The durable timer: waits until the hold ends, or its (possibly extended) expiry passes. */
async function holdUntilItEnds(hold: HoldRun): Promise<void> {
  while (hold.state.status === 'active') {
    const expiresAt = hold.state.expiresAt!;
    // From workflow time, so a replay or a restarted worker waits exactly what is left.
    const remainingMs = Date.parse(expiresAt) - Date.now();
    if (remainingMs > 0) {
      const moved = await condition(() => hold.state.status !== 'active' || hold.state.expiresAt !== expiresAt, remainingMs);
      if (moved) continue;
    }
    // Under the lock: an extension or an adoption that got there first wins.
    await hold.lock.runExclusive(async () => {
      if (hold.state.status === 'active' && hold.lapsed()) await giveBack(hold, 'expired');
    });
  }
}

/** The `release` update: gives the units back; answers a released or expired hold as it is. */
function release(hold: HoldRun): Promise<HoldState> {
  return hold.lock.runExclusive(async () => {
    await hold.placed();
    refuse(hold.refuseRelease());
    if (hold.state.status === 'active') await giveBack(hold, 'released');
    return hold.snapshot();
  });
}

/** The `extend` update: a new expiry, written to the database before the timer moves. */
function extend(hold: HoldRun, request: ExtendRequest): Promise<HoldState> {
  return hold.lock.runExclusive(async () => {
    await hold.placed();
    refuse(hold.refuseExtension(request));
    const extension = hold.extension(request);
    if (!extension.ok) throw hold.notExtendable(extension.why);
    await durable.extendHold(hold.input.holdId, extension.expiresAt, hold.state.extensions + 1);
    hold.state.expiresAt = extension.expiresAt;
    hold.state.extensions += 1;
    return hold.snapshot();
  });
}

/** The `adopt` update: the order's reservation is the hold's units, converted in one transaction. */
function adopt(hold: HoldRun, order: ReserveStockInput): Promise<ReservedOrder> {
  return hold.lock.runExclusive(async () => {
    await hold.placed();
    if (hold.adoptedBy?.orderId === order.orderId) return hold.adoptedBy;
    refuse(hold.refuseAdoption(order));
    // Not cancellable, and retried until the database answers: whether the order now owns the
    // units must be known before anything else may happen to the hold.
    const reserved = await CancellationScope.nonCancellable(() => durable.convertHold(hold.input.holdId, order));
    hold.adoptedBy = reserved;
    hold.state.convertedOrderId = order.orderId;
    hold.enter('converted');
    return reserved;
  });
}

/** Released or expired: the units go back non-cancellably, then the hold says so. */
async function giveBack(hold: HoldRun, end: HoldEnd): Promise<void> {
  // Pending: the reservation's outcome was lost; releasing finds out (a no-op if nothing was held).
  if (hold.state.status !== 'active' && hold.state.status !== 'pending') return;
  await CancellationScope.nonCancellable(() => durable.releaseHold(hold.input.holdId, end));
  hold.enter(end);
}

/** One hold while it runs: what it knows, its lock, and the guards the handlers decide by. */
class HoldRun {
  readonly state: HoldState;
  readonly lock = new Lock();
  refusal: Error | undefined;
  /** The order that converted the hold, and its reservation as the conversion answered. */
  adoptedBy: ReservedOrder | undefined;

  constructor(readonly input: StockHoldInput) {
    this.state = {
      holdId: input.holdId,
      customerId: input.customerId,
      status: 'pending',
      expiresAt: null,
      maxExpiresAt: null,
      extensions: 0,
      lines: [],
      convertedOrderId: null,
      failure: null,
    };
  }

  snapshot(): HoldState {
    return { ...this.state, lines: this.state.lines.map((line) => ({ ...line })) };
  }

  placed(): Promise<void> {
    return condition(() => this.state.status !== 'pending');
  }

  enter(status: HoldRunStatus): void {
    this.state.status = status;
    upsertSearchAttributes([
      { key: HoldStatusAttribute, value: status },
      { key: HoldIdAttribute, value: this.input.holdId },
      { key: CustomerIdAttribute, value: this.input.customerId },
    ]);
  }

  /** Past its expiry by the clock: an update may arrive in the same activation as the timer. */
  lapsed(): boolean {
    return this.state.expiresAt !== null && Date.now() >= Date.parse(this.state.expiresAt);
  }

  /** Active, and not lapsed by the clock. */
  holding(): boolean {
    return this.state.status === 'active' && !this.lapsed();
  }

  // Each guard returns the refusal, or undefined when the message may go ahead; validators throw it.

  refuseRelease(): Error | undefined {
    const { status } = this.state;
    return status === 'converted' || status === 'rejected' ? this.notActive() : undefined;
  }

  refuseExtension(request: ExtendRequest): Error | undefined {
    if (this.state.status === 'pending') return undefined;
    if (!this.holding()) return this.notActive();
    const extension = this.extension(request);
    return extension.ok ? undefined : this.notExtendable(extension.why);
  }

  refuseAdoption(order: ReserveStockInput): Error | undefined {
    if (this.state.status === 'pending' || this.adoptedBy?.orderId === order.orderId) return undefined;
    if (!this.holding()) return this.notActive();
    if (order.customerId !== this.input.customerId) {
      return contractFailure('HOLD_MISMATCH', `stock hold ${this.input.holdId} belongs to another customer than ${order.customerId}`);
    }
    const mismatch = holdMismatch(this.state.lines, order.quote.lines);
    return mismatch ? contractFailure('HOLD_MISMATCH', `order ${order.orderId} does not match stock hold ${this.input.holdId}: ${mismatch}`) : undefined;
  }

  extension(request: ExtendRequest) {
    return extendExpiry(
      {
        expiresAt: this.state.expiresAt!,
        maxExpiresAt: this.state.maxExpiresAt!,
        extensions: this.state.extensions,
        maxExtensions: this.input.maxExtensions,
      },
      request.byMs,
    );
  }

  notActive(): Error {
    const status = this.state.status === 'active' ? 'expired' : this.state.status;
    return contractFailure('HOLD_NOT_ACTIVE', `stock hold ${this.input.holdId} is ${status}, not active`);
  }

  notExtendable(why: string): Error {
    return contractFailure('HOLD_NOT_EXTENDABLE', `stock hold ${this.input.holdId} cannot be extended: ${why}`);
  }
}
