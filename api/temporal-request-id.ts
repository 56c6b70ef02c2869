import { Client, type WorkflowClientInterceptor } from '@temporalio/client';
import { withRequestId } from '../domain/request-id';
import { currentRequestId } from './middleware/request-id';

/**
 * Puts the id of the HTTP request being served into the Temporal headers of every start,
 * update-with-start, update and signal (and into the memo of a saga it starts, for the Web UI),
 * so the saga and its activities log it too.
 */
export const requestIdInterceptor: WorkflowClientInterceptor = {
  start: (input, next) => next({ ...input, headers: withRequestId(input.headers, currentRequestId()) }),
  startWithDetails: (input, next) => next({ ...input, headers: withRequestId(input.headers, currentRequestId()) }),
  startUpdate: (input, next) => next({ ...input, headers: withRequestId(input.headers, currentRequestId()) }),
  signal: (input, next) => next({ ...input, headers: withRequestId(input.headers, currentRequestId()) }),
  startUpdateWithStart: (input, next) => {
    const requestId = currentRequestId();
    return next({
      ...input,
      workflowStartHeaders: withRequestId(input.workflowStartHeaders, requestId),
      updateHeaders: withRequestId(input.updateHeaders, requestId),
      workflowStartOptions: requestId
        ? { ...input.workflowStartOptions, memo: { ...input.workflowStartOptions.memo, requestId } }
        : input.workflowStartOptions,
    });
  },
  signalWithStart: (input, next) => next({ ...input, headers: withRequestId(input.headers, currentRequestId()) }),
};

/** The same client (connection, namespace, converter) with the request id interceptor added. */
export function withRequestIdHeaders(client: Client): Client {
  const { interceptors, namespace, dataConverter, identity, workflow } = client.options;
  const existing = interceptors.workflow;
  return new Client({
    connection: client.connection,
    namespace,
    dataConverter,
    identity,
    workflow,
    interceptors: {
      ...interceptors,
      workflow:
        existing === undefined || Array.isArray(existing)
          ? [...(existing ?? []), requestIdInterceptor]
          : { calls: [...(existing.calls ?? []), () => requestIdInterceptor] },
    },
  });
}
