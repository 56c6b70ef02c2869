import type { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { withCorrelationId } from '../activities/correlation';
import { orderIdOfWorkflow } from '../domain/order';
import { requestIdOf } from '../domain/request-id';
import { isOrderStatus, type WorkerMetrics } from './metrics';

/**
 * Around every activity: its log lines (the SDK's and the activity's own `log`) and the events it
 * writes carry the order id and the request id the workflow handed on in the headers; each
 * completion is logged; order statuses written and failures are counted.
 */
export function activityInterceptors(metrics: WorkerMetrics): ActivityInterceptorsFactory {
  return (ctx: Context) => {
    const workflowId = ctx.info.workflowExecution?.workflowId;
    const orderId = workflowId === undefined ? undefined : orderIdOfWorkflow(workflowId);
    // Known once the activity runs: the SDK's "Activity started" line comes before it.
    let requestId: string | undefined;
    return {
      inbound: {
        async execute(input, next) {
          requestId = requestIdOf(input.headers);
          const started = Date.now();
          try {
            // The events the activity writes carry the same request id as its log lines.
            const result = await (requestId === undefined ? next(input) : withCorrelationId(requestId, () => next(input)));
            countStatusWritten(metrics, ctx.info.activityType, input.args);
            ctx.log.info('activity completed', { durationMs: Date.now() - started });
            return result;
          } catch (err) {
            metrics.activityFailed(ctx.info.activityType, failureType(err));
            throw err;
          }
        },
      },
      outbound: {
        // The task token is long, says nothing to a reader, and would let anyone holding it complete the task.
        getLogAttributes: ({ taskToken: _taskToken, ...attributes }, next) =>
          next({ ...attributes, ...(orderId && { orderId }), ...(requestId && { requestId }) }),
      },
    };
  };
}

/** setOrderStatus(orderId, status, ...) writes `status`; rejectOrder and rejectPlacement write `rejected`. */
function countStatusWritten(metrics: WorkerMetrics, activityType: string, args: readonly unknown[]): void {
  if (activityType === 'rejectOrder' || activityType === 'rejectPlacement') metrics.statusWritten('rejected');
  else if (activityType === 'setOrderStatus' && isOrderStatus(args[1])) metrics.statusWritten(args[1]);
}

/** The contract code of a refusal (ApplicationFailure type), else the error's class name. */
function failureType(err: unknown): string {
  if (err instanceof ApplicationFailure && err.type) return err.type;
  return err instanceof Error ? err.name : 'unknown';
}
