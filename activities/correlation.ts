import { AsyncLocalStorage } from 'node:async_hooks';
import { Context } from '@temporalio/activity';

const boundRequestId = new AsyncLocalStorage<string>();

/**
 * Runs `work` with `requestId` as the request that started whatever it changes. The worker's
 * activity interceptor binds the saga's request id here (from the workflow header the API sets);
 * tests bind one directly.
 */
export function withCorrelationId<T>(requestId: string, work: () => T): T {
  return boundRequestId.run(requestId, work);
}

/**
 * The correlation id of the events an activity writes: the request id that started the change.
 * This is the one place activities read it. When none is bound (a saga started before request
 * ids reached the workflow), the saga's workflow id stands in, which still finds every event and
 * log line of the order; outside any activity there is none.
 */
export function correlationIdOf(): string | null {
  const requestId = boundRequestId.getStore();
  if (requestId !== undefined) return requestId;
  try {
    return Context.current().info.workflowExecution?.workflowId ?? null;
  } catch {
    return null; // not inside an activity
  }
}
