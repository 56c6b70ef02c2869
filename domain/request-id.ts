import { defaultPayloadConverter, type Headers } from '@temporalio/common';

/**
 * The Temporal header that carries the HTTP request id: set by the API's client interceptor on
 * every start, update and signal, read by the workflow interceptor (which hands the latest one on
 * to the activities it schedules) and by the activity interceptor (which puts it on log lines).
 */
export const REQUEST_ID_HEADER = 'request-id';

export function withRequestId(headers: Headers, requestId: string | undefined): Headers {
  if (requestId === undefined) return headers;
  return { ...headers, [REQUEST_ID_HEADER]: defaultPayloadConverter.toPayload(requestId) };
}

export function requestIdOf(headers: Headers): string | undefined {
  const payload = headers[REQUEST_ID_HEADER];
  if (payload === undefined) return undefined;
  const value: unknown = defaultPayloadConverter.fromPayload(payload);
  return typeof value === 'string' ? value : undefined;
}
