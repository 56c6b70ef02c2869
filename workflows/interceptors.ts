/**
 * Workflow interceptors, bundled with the workflows (workers/worker.ts and the tests' shared
 * bundle register this module). They follow one order through its logs: the request id that the
 * API puts in the headers of each start, update and signal is kept (the latest one wins), added
 * with the order id to every workflow log line, and passed on in the headers of every activity
 * the saga schedules. Deterministic: headers come from the history, so a replay sees the same.
 */
import {
  log,
  type ActivityInput,
  type LocalActivityInput,
  type Next,
  type WorkflowInterceptors,
  type WorkflowOutboundCallsInterceptor,
} from '@temporalio/workflow';
import { orderIdOfWorkflow } from '../domain/order';
import { requestIdOf, withRequestId } from '../domain/request-id';

export function interceptors(): WorkflowInterceptors {
  // One instance per workflow execution, so this is the saga's own latest request id.
  let requestId: string | undefined;
  const take = (headers: ActivityInput['headers']) => {
    requestId = requestIdOf(headers) ?? requestId;
  };
  const handOn = <Input extends ActivityInput | LocalActivityInput>(input: Input): Input => ({
    ...input,
    headers: withRequestId(input.headers, requestId),
  });
  const outbound: WorkflowOutboundCallsInterceptor = {
    scheduleActivity: (input, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleActivity'>) => next(handOn(input)),
    scheduleLocalActivity: (input, next: Next<WorkflowOutboundCallsInterceptor, 'scheduleLocalActivity'>) =>
      next(handOn(input)),
    getLogAttributes: (attributes, next) => {
      const orderId = typeof attributes.workflowId === 'string' ? orderIdOfWorkflow(attributes.workflowId) : undefined;
      return next({ ...attributes, ...(orderId && { orderId }), ...(requestId && { requestId }) });
    },
  };
  return {
    inbound: [
      {
        async execute(input, next) {
          take(input.headers);
          log.info('order saga started');
          const result = await next(input);
          log.info('order saga finished');
          return result;
        },
        async handleUpdate(input, next) {
          // Only accepted updates get here (and into the history); rejected ones leave no trace to replay.
          take(input.headers);
          log.info('update accepted', { update: input.name });
          return next(input);
        },
        async handleSignal(input, next) {
          take(input.headers);
          log.info('signal received', { signal: input.signalName });
          return next(input);
        },
      },
    ],
    outbound: [outbound],
  };
}
