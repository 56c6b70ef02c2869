/**
 * Returns: after delivery the saga takes goods back until the return window closes (a durable
 * timer) or everything came back. Each return puts its goods back on hand, then its share of the
 * money back to the customer.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import type { RecordedReturn } from '../activities/returns';
import { fromTemporalFailure, toApplicationFailure } from '../domain/failure';
import { overReturned } from '../domain/returns';
import { aggregateDemand } from '../domain/stock';
import { durable } from './activities';
import type { ReturnOutcome, ReturnRequest } from './messages';
import { MAX_RETURNS, type OrderRun } from './order-run';

/** The validator of `return`: refuses what the saga already knows cannot come back, recording nothing. */
export function validateReturn(run: OrderRun, { items }: ReturnRequest): void {
  if (!run.returnable()) throw run.notReturnable();
  const problem = returnProblem(run, items);
  if (problem) throw run.notReturnable(problem);
}

/** The `return` update: one return at a time, under the lock. */
export function takeReturn(run: OrderRun, request: ReturnRequest): Promise<ReturnOutcome> {
  return run.lock.runExclusive(async () => {
    // The read model may already say delivered while the saga is still recording it. Shielded past
    // the point of no return: a cancelled workflow must not refuse a return.
    await run.shielded(() => condition(() => run.state.status === 'delivered' || run.state.status === 'returned' || run.unwinding));
    // Checked again under the lock: the window may have closed, or an earlier return took everything back.
    if (!run.returnable()) throw run.notReturnable();
    const problem = returnProblem(run, request.items);
    if (problem) throw run.notReturnable(problem);
    return await takeBack(run, request);
  });
}

/** Delivered: returns are taken until the window closes or everything came back. */
export async function acceptReturns(run: OrderRun): Promise<void> {
  const remainingMs = Date.parse(run.state.returnWindowEndsAt!) - Date.now();
  await condition(() => run.state.status === 'returned', Math.max(1, remainingMs));
  // A return accepted inside the window finishes first; none is accepted after this.
  await run.lock.runExclusive(async () => void (run.returnsOpen = false));
}

/** Why these items cannot come back, judged by what the saga knows; undefined when they may. */
function returnProblem(run: OrderRun, items: ReturnRequest['items']): string | undefined {
  if (run.returnsTaken >= MAX_RETURNS) return `an order takes at most ${MAX_RETURNS} returns`;
  const left = run.returnableLines();
  // Sagas reserved before allocation existed do not know their lines: recordReturn decides alone.
  if (!left) return undefined;
  if (left.length === 0) return 'everything delivered already came back';
  const over = items && overReturned(left, items);
  return over ? `only what was delivered and not yet returned can come back (${over})` : undefined;
}

async function takeBack(run: OrderRun, { returnId, items, reason }: ReturnRequest): Promise<ReturnOutcome> {
  const { orderId } = run;
  run.returnsTaken += 1;
  // Not cancellable: goods taken back and money owed must both happen once begun.
  return CancellationScope.nonCancellable(async () => {
    let recorded: RecordedReturn;
    try {
      recorded = await durable.recordReturn({ orderId, returnId, items, reason });
    } catch (err) {
      run.returnsTaken -= 1;
      const refused = fromTemporalFailure(err);
      throw refused ? toApplicationFailure(refused) : err;
    }
    // Returns recorded before they reported their items took what was asked, or everything left.
    run.returned.push(...(recorded.items ?? aggregateDemand(items ?? run.returnableLines() ?? [])));
    // Nothing to send back when the returned lines were fully discounted.
    if (recorded.refundAmount > 0) {
      await durable.refundPartial({ orderId, amount: recorded.refundAmount, idempotencyKey: `return:${returnId}` });
    }
    if (recorded.everythingReturned) await run.record('returned');
    return { returnId: recorded.returnId, refundAmount: recorded.refundAmount };
  });
}
