import {
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import { sagaCallBounds, type Config } from '../domain/config';
import { DomainError, type ErrorCode } from '../domain/errors';
import { workflowIdFor } from '../domain/order';
import {
  cancelUpdate,
  extendReservationUpdate,
  CustomerIdAttribute,
  deliverUpdate,
  ORDER_WORKFLOW_TYPE,
  OrderStatusAttribute,
  payUpdate,
  placeOrderUpdate,
  returnUpdate,
  shipUpdate,
  type CancelRequest,
  type ExtendReservationRequest,
  type PaymentRequest,
  type PlaceOrderInput,
  type ReturnOutcome,
  type ReturnRequest,
} from '../workflows/messages';

const GRPC_ALREADY_EXISTS = 6;

/** How placing answered: the saga decided (`decided`), or it had already finished (`closed`). */
export type Placement = 'decided' | 'closed';

/**
 * A call reached a saga that has already finished: the order is past the point where the call
 * was possible (a keyed repeat may still be answered from what the saga left behind).
 */
export class SagaFinishedError extends DomainError {}

/** A caller's own id for one request: a repeat with the same id reaches the same workflow update. */
export interface UpdateOptions {
  updateId?: string;
}

/**
 * The API's side of the order sagas: every Temporal call the routes make. Each call is bounded, so
 * a missing worker or an unreachable server becomes 503 INVENTORY_UNAVAILABLE within seconds
 * instead of a request that hangs. What a bounded call started goes on in the saga; a repeat with
 * the same update id (the API derives it from the Idempotency-Key) reaches the same update.
 */
export function createOrderWorkflows(config: Config, temporal: Client) {
  const { placeMs, payMs, updateMs } = sagaCallBounds(config.PAYMENT_TIMEOUT);
  const bounded = <T>(ms: number, call: () => Promise<T>) => temporal.withDeadline(Date.now() + ms, call);

  /** Runs a call against the order's saga; a saga that has finished answers `closedCode`. */
  async function whileRunning<T>(
    orderId: string,
    closedCode: ErrorCode,
    boundMs: number,
    call: (handle: WorkflowHandle) => Promise<T>,
  ): Promise<T> {
    try {
      return await bounded(boundMs, () => call(temporal.workflow.getHandle(workflowIdFor(orderId))));
    } catch (err) {
      // A finished saga takes no updates: the order is past the point where this was possible.
      if (err instanceof WorkflowNotFoundError) throw new SagaFinishedError(closedCode, `order ${orderId} is already finished`);
      throw err;
    }
  }

  return {
    /**
     * Update-with-Start: starts the saga (or joins the running one with the same id) and waits
     * until it has reserved stock or refused; refusals surface as Temporal failures carrying the
     * contract code. `closed` means a saga with this id already ended, so the caller answers from
     * the orders table. A saga that failed or was cancelled before writing anything may be started again.
     */
    async place(input: PlaceOrderInput): Promise<Placement> {
      const start = new WithStartWorkflowOperation(ORDER_WORKFLOW_TYPE, {
        workflowId: workflowIdFor(input.orderId),
        taskQueue: config.TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE_FAILED_ONLY',
        typedSearchAttributes: [
          { key: OrderStatusAttribute, value: 'pending' },
          { key: CustomerIdAttribute, value: input.customerId },
        ],
        memo: { itemCount: input.items.length },
      });
      return decidedOrClosed(() =>
        bounded(placeMs, () =>
          temporal.workflow.executeUpdateWithStart(placeOrderUpdate, {
            args: [{ requestHash: input.requestHash }],
            // Repeats of one request are one update: the saga's history stays the same size.
            updateId: `placeOrder:${input.requestHash}`,
            startWorkflowOperation: start,
          }),
        ),
      );
    },

    async pay(orderId: string, request: PaymentRequest, options: UpdateOptions = {}): Promise<void> {
      await whileRunning(orderId, 'ORDER_NOT_PAYABLE', payMs, (handle) =>
        handle.executeUpdate(payUpdate, { args: [request], ...options }),
      );
    },

    /** Pushes an unpaid order's reservation out; the saga answers with its new expiry. */
    async extendReservation(orderId: string, request: ExtendReservationRequest, options: UpdateOptions = {}): Promise<void> {
      await whileRunning(orderId, 'RESERVATION_NOT_EXTENDABLE', updateMs, (handle) =>
        handle.executeUpdate(extendReservationUpdate, { args: [request], ...options }),
      );
    },

    async cancel(orderId: string, request: CancelRequest, options: UpdateOptions = {}): Promise<void> {
      await whileRunning(orderId, 'ORDER_NOT_CANCELLABLE', updateMs, (handle) =>
        handle.executeUpdate(cancelUpdate, { args: [request], ...options }),
      );
    },

    /** Takes goods back; a saga that has finished (its return window closed) answers RETURN_NOT_ALLOWED. */
    takeReturn(orderId: string, request: ReturnRequest, options: UpdateOptions = {}): Promise<ReturnOutcome> {
      return whileRunning(orderId, 'RETURN_NOT_ALLOWED', updateMs, (handle) =>
        handle.executeUpdate(returnUpdate, { args: [request], ...options }),
      );
    },

    /** The warehouse shipped a delivery order: resolves once the saga applied it, or fails with the refusal. */
    async ship(orderId: string, deliveryOrderId: string, options: UpdateOptions = {}): Promise<void> {
      await whileRunning(orderId, 'DELIVERY_ORDER_NOT_SHIPPABLE', updateMs, (handle) =>
        handle.executeUpdate(shipUpdate, { args: [{ deliveryOrderId }], ...options }),
      );
    },

    /** The warehouse delivered a delivery order: resolves once the saga applied it, or fails with the refusal. */
    async deliver(orderId: string, deliveryOrderId: string, options: UpdateOptions = {}): Promise<void> {
      await whileRunning(orderId, 'DELIVERY_ORDER_NOT_DELIVERABLE', updateMs, (handle) =>
        handle.executeUpdate(deliverUpdate, { args: [{ deliveryOrderId }], ...options }),
      );
    },

    /** The saga's workflow history, running or closed; undefined when the server no longer keeps it. */
    async history(orderId: string): Promise<temporal.api.history.v1.IHistoryEvent[] | undefined> {
      try {
        const history = await bounded(updateMs, () => temporal.workflow.getHandle(workflowIdFor(orderId)).fetchHistory());
        return history.events ?? [];
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },
  };
}

export type OrderWorkflows = ReturnType<typeof createOrderWorkflows>;

/**
 * Runs an Update-with-Start: `decided` once the workflow answered, `closed` when a workflow with
 * that id has already ended (the start is refused and the caller answers from the database).
 */
export async function decidedOrClosed(updateWithStart: () => Promise<unknown>): Promise<Placement> {
  try {
    await updateWithStart();
    return 'decided';
  } catch (err) {
    const alreadyClosed =
      err instanceof WorkflowExecutionAlreadyStartedError || (isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS);
    if (alreadyClosed) return 'closed';
    throw err;
  }
}
