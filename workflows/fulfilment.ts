/**
 * Fulfilment: once paid, the stock is deducted and a delivery order made per warehouse; then the
 * warehouse's moves (ship, deliver) are applied one at a time under the saga's lock, so a shipment
 * and a cancel of the same order can never both win. The first shipment is the point of no return.
 */
import { CancellationScope, condition, isCancellation, log, patched } from '@temporalio/workflow';
import { isForward, orderStatusForStages, type DeliveryMove } from '../domain/delivery';
import { fromTemporalFailure } from '../domain/failure';
import { durable } from './activities';
import type { DeliveryOrderMove, OrderState } from './messages';
import type { OrderRun } from './order-run';

/** RETURN_WINDOW's default, for sagas started before the API passed returnWindowMs. */
const DEFAULT_RETURN_WINDOW_MS = 30 * 24 * 60 * 60_000;

/**
 * `point-of-no-return`: the first shipment cuts the compensation stack (nothing that shipped is
 * ever restocked or refunded by a cancel), and from then on a cancelled workflow is refused.
 */
export const POINT_OF_NO_RETURN = 'point-of-no-return';

/** Deducts the stock, creates the delivery orders and records the order confirmed. */
export async function confirm(run: OrderRun): Promise<void> {
  const { orderId } = run;
  // Sagas confirmed before late cancels existed pushed neither compensation and stay uncancellable.
  run.lateCancelSupported = patched('cancel-after-payment');
  await durable.commitStock(orderId);
  if (run.lateCancelSupported) run.saga.push(() => durable.restockStock(orderId));
  run.state.deliveryOrderIds = await durable.createDeliveryOrders(orderId);
  if (run.lateCancelSupported) run.saga.push(() => durable.cancelDeliveryOrders(orderId));
  for (const id of run.state.deliveryOrderIds) run.stages.set(id, 'reserved');
  run.cutsAtShipment = patched(POINT_OF_NO_RETURN);
  await run.record('confirmed');
}

/**
 * Waits until every delivery order is delivered, applying the moves older API versions reported
 * as signals; returns the cancel request instead when one was accepted before anything shipped.
 */
export async function followDeliveries(run: OrderRun): Promise<{ reason: string | null } | undefined> {
  const allDelivered = () => [...run.stages.values()].every((stage) => stage === 'delivered');
  while (!allDelivered()) {
    await condition(() => allDelivered() || run.lateCancel !== undefined || run.reportedMoves.length > 0);
    if (run.lateCancel) return run.lateCancel;
    if (run.reportedMoves.length > 0) await applyReportedMove(run);
  }
  return undefined;
}

/** The validator of `ship` and `deliver`. */
export function validateMove(run: OrderRun, { deliveryOrderId }: DeliveryOrderMove, move: DeliveryMove): void {
  const refusal = run.moveRefusal(deliveryOrderId, move, { knownOnly: true });
  if (refusal) throw refusal;
}

/** The `ship` and `deliver` updates: applied under the lock, answered once the read model shows them. */
export async function moveDeliveryOrder(
  run: OrderRun,
  { deliveryOrderId }: DeliveryOrderMove,
  move: DeliveryMove,
): Promise<OrderState> {
  // Counted from the moment it is accepted: a cancel arriving now must lose to this shipment.
  if (move === 'shipped') run.shipmentsInFlight += 1;
  try {
    // Shielded past the point of no return: a cancelled workflow must not refuse a delivery.
    return await run.shielded(async () => {
      // The delivery orders may be in the read model a moment before the saga has learnt their ids.
      await condition(() => !run.confirming());
      return await run.lock.runExclusive(async () => {
        const refusal = run.moveRefusal(deliveryOrderId, move);
        if (refusal) throw refusal;
        await applyMove(run, deliveryOrderId, move);
        return run.snapshot();
      });
    });
  } finally {
    if (move === 'shipped') run.shipmentsInFlight -= 1;
  }
}

/**
 * Runs the rest of fulfilment; a workflow cancelled after the point of no return is logged and
 * refused (goods are with the carrier or the customer: only a return gives anything back), and
 * the rest runs shielded from it.
 */
export async function pastNoReturnIgnoringCancel<T>(run: OrderRun, rest: () => Promise<T>): Promise<T> {
  try {
    return await run.shielded(rest);
  } catch (err) {
    if (!isCancellation(err) || !run.pastNoReturn) throw err;
    log.warn('the order workflow was cancelled after goods shipped; the cancel is refused and the saga goes on', {
      orderId: run.orderId,
      status: run.state.status,
    });
    return await CancellationScope.nonCancellable(rest);
  }
}

/**
 * Signal-reported moves, oldest first, applied under the lock like the updates. As when they were
 * the only way in: a move that does not go forward is dropped, and one the read model refuses is
 * logged and dropped (it must not fail, and so refund, a paid order).
 */
async function applyReportedMove(run: OrderRun): Promise<void> {
  await run.lock.runExclusive(async () => {
    // Taken off the queue only once applied, so a cancel meanwhile still sees it as reported.
    const { deliveryOrderId, move } = run.reportedMoves[0]!;
    try {
      const stage = run.stages.get(deliveryOrderId);
      if (stage !== undefined && isForward(stage, move)) await applyMove(run, deliveryOrderId, move);
    } catch (err) {
      const refused = fromTemporalFailure(err);
      if (!refused) throw err;
      log.warn('delivery order update refused', { deliveryOrderId, stage: move, code: refused.code });
    } finally {
      run.reportedMoves.shift();
    }
  });
}

/** Moves one delivery order on in the read model, then the order's status with it. */
async function applyMove(run: OrderRun, deliveryOrderId: string, move: DeliveryMove): Promise<void> {
  // Not cancellable: once asked for, whether the goods left must be known.
  await CancellationScope.nonCancellable(async () => {
    await durable.markDeliveryOrder(deliveryOrderId, move);
    run.stages.set(deliveryOrderId, move);
    if (move === 'shipped' && run.cutsAtShipment && !run.pastNoReturn) {
      run.saga.cut();
      run.pastNoReturn = true;
    }
    const status = orderStatusForStages([...run.stages.values()]);
    if (status === 'delivered') {
      run.state.deliveredAt = new Date(Date.now()).toISOString();
      const windowMs = run.input.returnWindowMs ?? DEFAULT_RETURN_WINDOW_MS;
      run.state.returnWindowEndsAt = new Date(Date.now() + windowMs).toISOString();
      // Before the status is written, so a return asked for as soon as the read model says
      // delivered is already accepted. Sagas delivered before returns existed ended at delivered.
      run.returnsOpen = patched('return-window');
    }
    if (status !== run.state.status) await run.record(status);
  });
}
