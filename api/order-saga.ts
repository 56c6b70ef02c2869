import {
  isGrpcServiceError,
  WithStartWorkflowOperation,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { temporal } from '@temporalio/proto';
import type { Config } from '../domain/config';
import { DomainError, type ErrorCode } from '../domain/errors';
import { workflowIdFor } from '../domain/order';
import {
  cancelOrder,
  CustomerIdAttribute,
  deliveryOrderDelivered,
  deliveryOrderShipped,
  ORDER_WORKFLOW_TYPE,
  OrderStatusAttribute,
  payOrder,
  placeOrder,
  returnOrder,
  type CancelRequest,
  type PaymentRequest,
  type PlaceOrderInput,
  type ReturnOutcome,
  type ReturnRequest,
} from '../workflows/messages';

const GRPC_ALREADY_EXISTS = 6;

/** How placing answered: the saga decided (`decided`), or it had already finished (`closed`). */
export type Placement = 'decided' | 'closed';

/**
 * The API's side of the order saga: every Temporal call the routes make. Calls are bounded so a
 * missing worker or an unreachable server becomes 503 INVENTORY_UNAVAILABLE instead of a request
 * that hangs; the bound leaves room for the payment provider's timeout and its retries.
 */
export function createOrderSaga(config: Config, temporal: Client) {
  const callTimeoutMs = 30_000 + 4 * config.PAYMENT_TIMEOUT;
  const bounded = <T>(call: () => Promise<T>) => temporal.withDeadline(Date.now() + callTimeoutMs, call);

  /** Runs a call against the order's saga; a saga that has finished answers `closedCode`. */
  async function whileRunning<T>(
    orderId: string,
    closedCode: ErrorCode,
    call: (handle: WorkflowHandle) => Promise<T>,
  ): Promise<T> {
    try {
      return await bounded(() => call(temporal.workflow.getHandle(workflowIdFor(orderId))));
    } catch (err) {
      // A finished saga takes no updates or signals: the order is past the point where this was possible.
      if (err instanceof WorkflowNotFoundError) throw new DomainError(closedCode, `order ${orderId} is already finished`);
      throw err;
    }
  }

  return {
    /**
     * Update-with-Start: starts the saga (or joins the running one with the same id) and waits
     * until it has reserved stock or refused; refusals surface as Temporal failures carrying the
     * contract code. `closed` means the saga had already ended, so the caller answers from the
     * orders table.
     */
    async place(input: PlaceOrderInput): Promise<Placement> {
      const start = new WithStartWorkflowOperation(ORDER_WORKFLOW_TYPE, {
        workflowId: workflowIdFor(input.orderId),
        taskQueue: config.TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: OrderStatusAttribute, value: 'pending' },
          { key: CustomerIdAttribute, value: input.customerId },
        ],
        memo: { itemCount: input.items.length },
      });
      try {
        await bounded(() =>
          temporal.workflow.executeUpdateWithStart(placeOrder, {
            args: [{ requestHash: input.requestHash }],
            startWorkflowOperation: start,
          }),
        );
        return 'decided';
      } catch (err) {
        const alreadyClosed =
          err instanceof WorkflowExecutionAlreadyStartedError ||
          (isGrpcServiceError(err) && err.code === GRPC_ALREADY_EXISTS);
        if (alreadyClosed) return 'closed';
        throw err;
      }
    },

    async pay(orderId: string, request: PaymentRequest): Promise<void> {
      await whileRunning(orderId, 'ORDER_NOT_PAYABLE', (saga) => saga.executeUpdate(payOrder, { args: [request] }));
    },

    async cancel(orderId: string, request: CancelRequest): Promise<void> {
      await whileRunning(orderId, 'ORDER_NOT_CANCELLABLE', (saga) => saga.executeUpdate(cancelOrder, { args: [request] }));
    },

    /** Takes goods back; a saga that has finished (its return window closed) answers RETURN_NOT_ALLOWED. */
    giveBack(orderId: string, request: ReturnRequest): Promise<ReturnOutcome> {
      return whileRunning(orderId, 'RETURN_NOT_ALLOWED', (saga) => saga.executeUpdate(returnOrder, { args: [request] }));
    },

    /** The saga's workflow history, running or closed; undefined when the server no longer keeps it. */
    async history(orderId: string): Promise<temporal.api.history.v1.IHistoryEvent[] | undefined> {
      try {
        const history = await bounded(() => temporal.workflow.getHandle(workflowIdFor(orderId)).fetchHistory());
        return history.events ?? [];
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return undefined;
        throw err;
      }
    },

    /** Tells the saga a delivery order was shipped. */
    shipped(orderId: string, deliveryOrderId: string): Promise<void> {
      return whileRunning(orderId, 'DELIVERY_ORDER_NOT_SHIPPABLE', (saga) =>
        saga.signal(deliveryOrderShipped, { deliveryOrderId }),
      );
    },

    /** Tells the saga a delivery order was delivered. */
    delivered(orderId: string, deliveryOrderId: string): Promise<void> {
      return whileRunning(orderId, 'DELIVERY_ORDER_NOT_DELIVERABLE', (saga) =>
        saga.signal(deliveryOrderDelivered, { deliveryOrderId }),
      );
    },
  };
}

export type OrderSaga = ReturnType<typeof createOrderSaga>;
