import type { Stack } from './stack';

export interface CallOptions {
  /** Sent as X-API-Key; omitted when undefined. */
  key?: string;
  /** Sent as `Authorization: Bearer <token>`; omitted when undefined. */
  token?: string;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent verbatim (Content-Type application/json unless `headers` says otherwise). */
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface CallResult {
  status: number;
  /** The envelope as parsed JSON (text when the answer is not JSON); tests reach into it freely. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- an untyped envelope keeps assertions short
  body: any;
  headers: Headers;
}

/** One HTTP request against the stack's API (`path` relative to /api/v1). */
export async function call(
  stack: Pick<Stack, 'api'>,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<CallResult> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers['X-API-Key'] = options.key;
  if (options.token !== undefined) headers.Authorization = `Bearer ${options.token}`;
  let payload: string | undefined;
  if (options.rawBody !== undefined) payload = options.rawBody;
  else if (options.body !== undefined) payload = JSON.stringify(options.body);
  if (payload !== undefined) headers['Content-Type'] = 'application/json';
  Object.assign(headers, options.headers);

  const response = await fetch(`${stack.api}${path}`, { method, headers, body: payload });
  const text = await response.text();
  const isJson = response.headers.get('content-type')?.includes('json') ?? false;
  return { status: response.status, body: isJson && text ? JSON.parse(text) : text, headers: response.headers };
}
