import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const HEADER = 'X-Request-Id';
// A client's id is echoed only when it is a sane token, so it cannot inject into headers or logs.
const ACCEPTABLE = /^[A-Za-z0-9._:@\-]{1,128}$/;

const requestIds = new AsyncLocalStorage<string>();

/**
 * The id of the request the calling code is serving, wherever it runs (a Temporal client call
 * deep inside a route, for instance); undefined outside a request.
 */
export function currentRequestId(): string | undefined {
  return requestIds.getStore();
}

/** Tags every request and every response (errors included) with an X-Request-Id. */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const sent = req.get(HEADER);
    const id = sent && ACCEPTABLE.test(sent) ? sent : randomUUID();
    res.locals.requestId = id;
    res.setHeader(HEADER, id);
    requestIds.run(id, next);
  };
}
