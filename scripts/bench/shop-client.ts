// The bench's side of the HTTP contract (API.md): what a storefront and an admin send.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

/** An X-API-Key and the customer it stands for (its subject). */
export interface Shopper {
  key: string;
  customerId: string;
}

export interface OrderLine {
  productId: string;
  quantity: number;
}

/** A parsed answer: the status, and the envelope's data or error code. */
export interface Answer {
  status: number;
  code?: string;
  data?: { id?: string; status?: string } & Record<string, unknown>;
}

/**
 * A 503 is INVENTORY_UNAVAILABLE, "safe to retry": a storefront retries it with the same key (a
 * placement's repeat joins the same saga and waits on). Enough retries that a saturated stack's
 * answers still arrive; how many were needed is reported.
 */
const KEYED_RETRIES = 10;
const RETRY_PAUSE_MS = 500;

/** What went on the wire beyond one call per answer. */
export const wireCounts = { retriedAfter503: 0, networkErrors: 0, lastNetworkError: '' };

/** `201`, `409 INSUFFICIENT_INVENTORY`, `network error`: how the load generator labels an answer. */
export function labelOf(answer: Answer): string {
  if (answer.status === 0) return 'network error';
  return answer.code ? `${answer.status} ${answer.code}` : String(answer.status);
}

export function createShopClient(baseUrl: string, adminKey: string) {
  async function send(method: string, path: string, key: string, body?: unknown, idempotencyKey?: string): Promise<Answer> {
    const headers: Record<string, string> = { 'x-api-key': key };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (idempotencyKey !== undefined) headers['idempotency-key'] = idempotencyKey;
    let response: Response;
    try {
      response = await fetch(`${baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      wireCounts.networkErrors++;
      const cause = (err as Error & { cause?: Error }).cause;
      wireCounts.lastNetworkError = `${(err as Error).message}${cause ? `: ${cause.message}` : ''}`;
      return { status: 0 };
    }
    const text = await response.text();
    let envelope: { data?: Answer['data']; error?: { code?: string } } = {};
    try {
      envelope = JSON.parse(text) as typeof envelope;
    } catch {
      // Not the envelope (a proxy's page): the status says enough.
    }
    return { status: response.status, code: envelope.error?.code, data: envelope.data };
  }

  /**
   * A keyed POST, repeated with the same key while it answers 503 or the connection fails (a
   * keep-alive connection the server closed as it was reused), as a storefront would.
   */
  async function keyedPost(path: string, key: string, body: unknown, idempotencyKey: string = randomUUID()): Promise<Answer> {
    for (let attempt = 0; ; attempt++) {
      const answer = await send('POST', path, key, body, idempotencyKey);
      if ((answer.status !== 503 && answer.status !== 0) || attempt === KEYED_RETRIES) return answer;
      if (answer.status === 503) wireCounts.retriedAfter503++;
      await sleep(RETRY_PAUSE_MS);
    }
  }

  /** PUT as the admin; anything but 200/201 stops the bench (the seed is wrong). */
  async function adminPut(path: string, body: unknown): Promise<void> {
    const answer = await send('PUT', path, adminKey, body);
    if (answer.status !== 200 && answer.status !== 201) throw new Error(`PUT ${path} answered ${labelOf(answer)}`);
  }

  return {
    placeOrder: (shopper: Shopper, items: OrderLine[], idempotencyKey?: string) =>
      keyedPost('/orders', shopper.key, { customerId: shopper.customerId, items, shippingAddress: '1 Bench Street' }, idempotencyKey),
    pay: (shopper: Shopper, orderId: string, paymentToken: string) =>
      keyedPost(`/orders/${orderId}/payment`, shopper.key, { paymentToken }),
    cancel: (shopper: Shopper, orderId: string) => keyedPost(`/orders/${orderId}/cancel`, shopper.key, { reason: 'bench' }),
    getOrder: (shopper: Shopper, orderId: string) => send('GET', `/orders/${orderId}`, shopper.key),
    getLevel: (productId: string, warehouseId: string) => send('GET', `/inventory/${productId}/${warehouseId}`, adminKey),
    putWarehouse: (id: string) => adminPut(`/warehouses/${id}`, { name: `Bench ${id}`, priority: 1 }),
    putProduct: (id: string, price: number) => adminPut(`/products/${id}`, { name: `Bench ${id}`, price, currency: 'USD', active: true }),
    putStock: (productId: string, warehouseId: string, onHand: number) =>
      adminPut(`/inventory/${productId}/${warehouseId}`, { onHand, lowStockThreshold: 0 }),
    putCustomer: (id: string) => adminPut(`/customers/${id}`, { email: `${id}@bench.example.com`, status: 'active' }),
    ready: () => send('GET', '/ready', adminKey),
  };
}

export type ShopClient = ReturnType<typeof createShopClient>;
