import { WithStartWorkflowOperation, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { sagaCallBounds, type Config } from '../domain/config';
import { DomainError } from '../domain/errors';
import { holdWorkflowIdFor } from '../domain/holds';
import { CustomerIdAttribute, HoldIdAttribute, HoldStatusAttribute } from '../workflows/messages';
import {
  extendHoldUpdate,
  placeHoldUpdate,
  releaseHoldUpdate,
  STOCK_HOLD_WORKFLOW_TYPE,
  type ExtendRequest,
  type StockHoldInput,
} from '../workflows/stock-hold-messages';
import { decidedOrClosed, type Placement, type UpdateOptions } from './order-workflows';

/** A call reached a hold whose workflow has finished: the database says how it ended. */
export class HoldFinishedError extends DomainError {}

/**
 * The API's side of the stock holds: every Temporal call the hold routes make, each bounded like
 * the order sagas' calls, so a missing worker answers 503 INVENTORY_UNAVAILABLE within seconds.
 */
export function createHoldWorkflows(config: Config, temporal: Client) {
  const { placeMs, updateMs } = sagaCallBounds(config.PAYMENT_TIMEOUT);
  const bounded = <T>(ms: number, call: () => Promise<T>) => temporal.withDeadline(Date.now() + ms, call);

  async function whileHolding<T>(holdId: string, call: (handle: WorkflowHandle) => Promise<T>): Promise<T> {
    try {
      return await bounded(updateMs, () => call(temporal.workflow.getHandle(holdWorkflowIdFor(holdId))));
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) throw new HoldFinishedError('HOLD_NOT_ACTIVE', `stock hold ${holdId} has ended`);
      throw err;
    }
  }

  return {
    /**
     * Update-with-Start: starts the hold's workflow (or joins the running one) and waits until the
     * stock is held or refused. `closed` means a workflow with this id has already ended.
     */
    async place(input: StockHoldInput): Promise<Placement> {
      const start = new WithStartWorkflowOperation(STOCK_HOLD_WORKFLOW_TYPE, {
        workflowId: holdWorkflowIdFor(input.holdId),
        taskQueue: config.TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: HoldStatusAttribute, value: 'pending' },
          { key: HoldIdAttribute, value: input.holdId },
          { key: CustomerIdAttribute, value: input.customerId },
        ],
        memo: { itemCount: input.items.length },
      });
      return decidedOrClosed(() =>
        bounded(placeMs, () =>
          temporal.workflow.executeUpdateWithStart(placeHoldUpdate, { args: [], updateId: 'placeHold', startWorkflowOperation: start }),
        ),
      );
    },

    async release(holdId: string, options: UpdateOptions = {}): Promise<void> {
      await whileHolding(holdId, (handle) => handle.executeUpdate(releaseHoldUpdate, { args: [], ...options }));
    },

    async extend(holdId: string, request: ExtendRequest, options: UpdateOptions = {}): Promise<void> {
      await whileHolding(holdId, (handle) => handle.executeUpdate(extendHoldUpdate, { args: [request], ...options }));
    },
  };
}

export type HoldWorkflows = ReturnType<typeof createHoldWorkflows>;
