/**
 * Compensation: a cancel, the expiry, a failure or a cancelled workflow gives back everything the
 * saga took, newest first (the stack in OrderRun.saga), non-cancellably, then records why.
 */
import { CancellationScope, condition, isCancellation, log } from '@temporalio/workflow';
import { ActivityFailure } from '@temporalio/common';
import type { CancelRequest, OrderState } from './messages';
import { durable } from './activities';
import type { Decision, OrderRun } from './order-run';

const OPERATOR_CANCEL_REASON = 'the order workflow was cancelled';

/** The validator of `cancel`. */
export function validateCancel(run: OrderRun): void {
  if (!run.cancellable()) throw run.notCancellable();
}

/**
 * The `cancel` update. Before payment the hold is given back; after payment, with nothing shipped,
 * everything is (a late cancel). Decided under the lock: a charge in flight gets its outcome first
 * (a cancel that loses to it gets 409), and a shipment accepted first wins.
 */
export async function requestCancel(run: OrderRun, { reason }: CancelRequest): Promise<OrderState> {
  // Counted from the moment it is accepted: a shipment arriving now loses to this cancel.
  run.cancelsInFlight += 1;
  await run.lock.runExclusive(async () => {
    run.cancelsInFlight -= 1;
    if (run.awaitingPayment()) run.decision = { outcome: 'cancelled', reason };
    else if (run.cancellableAfterPayment()) run.lateCancel = { reason };
    else throw run.notCancellable();
  });
  await condition(() => run.state.status === 'cancelled');
  return run.snapshot();
}

/** Cancelled or expired before shipment: everything taken goes back, then the read model says so. */
export function giveBack(run: OrderRun, settled: Exclude<Decision, { outcome: 'paid' }>): Promise<void> {
  // Not cancellable as a whole, so a cancelled workflow cannot leave the order half given back.
  return CancellationScope.nonCancellable(async () => {
    await run.saga.unwind(settled.outcome);
    await run.record(settled.outcome, settled.outcome === 'cancelled' ? settled.reason : null);
  });
}

/** After a failure or a cancelled workflow: give back everything, newest first, and record why. */
export async function compensateAfter(run: OrderRun, err: unknown): Promise<void> {
  // Refuses whatever arrives from now on; a return waiting for the delivered status gives up.
  run.unwinding = true;
  // Closes the order to pay and cancel once a charge, a move or a return in flight has settled:
  // if a charge went through, its settlement must be on the stack before unwinding.
  await run.lock.runExclusive(async () => void (run.decision ??= { outcome: 'cancelled', reason: OPERATOR_CANCEL_REASON }));
  if (isCancellation(err)) {
    await run.saga.unwind('cancelled');
    await closeCancelled(run, OPERATOR_CANCEL_REASON);
    return;
  }
  const step = failedStep(run, err);
  log.error('order saga failed; compensating', { orderId: run.orderId, step, error: String(err) });
  await run.saga.unwind('compensation');
  await closeCancelled(run, `failed: ${step}`);
}

async function closeCancelled(run: OrderRun, reason: string): Promise<void> {
  if (run.state.status !== 'pending') return await run.record('cancelled', reason);
  // Placing did not finish. A reservation it asked for may still have committed (its answer
  // lost, or written by an attempt a lost workflow task repeated): its order row must not stay
  // payable. Older sagas assumed there was no row.
  if (run.localPlacing) await durable.cancelUnfinishedPlacement(run.orderId, reason);
  run.state.cancelReason = reason;
  run.enter('cancelled');
}

/** Names the step a non-business failure escaped from, for the cancel reason `failed: <step>`. */
function failedStep(run: OrderRun, err: unknown): string {
  if (err instanceof ActivityFailure && err.activityType) return err.activityType;
  // A local activity's failure arrives as its own error, without the step's name: while pending
  // that is one of the placing steps (the timeline names which).
  return run.state.status === 'pending' && run.localPlacing ? 'placing' : 'workflow';
}
