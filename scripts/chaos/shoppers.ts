import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { shopperKey, WAREHOUSE_KEY } from './stack';

/** What a shopper asked of one order, and every answer it got. */
export type Action = 'place' | 'pay' | 'cancel' | 'ship' | 'deliver' | 'return';

export interface Answer {
  action: Action;
  /** HTTP status; 0 when no answer came (connection refused or reset, a timeout). */
  status: number;
  code?: string;
  /** A definitive answer is one the shopper may act on: anything but a 503, a 5xx or none. */
  definitive: boolean;
  token?: string;
  /** How many times the request was sent to get this answer. */
  attempts: number;
  /** What was sent, so the answer can be asked for again. */
  request: KeyedPost;
}

interface KeyedPost {
  path: string;
  idempotencyKey: string;
  body: unknown;
  /** The warehouse's key for ship and deliver; the shopper's otherwise. */
  asWarehouse?: boolean;
}

export interface OrderJournal {
  shopper: number;
  scenario: Scenario;
  placeKey: string;
  body: PlaceBody;
  orderId?: string;
  /** From the answer to the payment that confirmed the order. */
  deliveryOrderIds?: string[];
  answers: Answer[];
}

interface PlaceBody {
  items: Array<{ productId: string; warehouseId?: string; quantity: number }>;
  shippingAddress: string;
  voucherCode?: string;
}

/** What a shopper does with an order it placed. */
export type Scenario =
  | 'pay'
  | 'decline-then-pay'
  | 'cancel'
  | 'pay-then-cancel'
  | 'let-expire'
  | 'decline-and-leave'
  | 'lost-then-pay'
  | 'pay-cancel-race'
  | 'deliver-and-return';

const SCENARIOS: Array<[Scenario, number]> = [
  ['pay', 30],
  ['decline-then-pay', 10],
  ['cancel', 15],
  ['pay-then-cancel', 10],
  ['let-expire', 15],
  ['decline-and-leave', 5],
  ['lost-then-pay', 5],
  ['pay-cancel-race', 10],
  ['deliver-and-return', 10],
];

export interface ShopperOptions {
  apiUrl: string;
  /** When to stop starting orders; those under way finish. */
  until: number;
  /** How long one request is retried for, with the same key, before the shopper gives up on it. */
  retryBudgetMs: number;
  /** The products to order: one scarce (it sells out, so some placements are refused), others plentiful. */
  catalog: Array<{ productId: string; warehouseId?: string }>;
  voucherCode: string;
}

/** The first answer's code for every 5xx that was not a 503: each is a bug (API.md: a 500 is a bug). */
export interface ShopperFindings {
  journals: OrderJournal[];
  serverErrors: string[];
}

/**
 * A storefront's shopper: places orders and then pays, is declined, cancels, races a pay against
 * a cancel, has the order shipped, delivered and sends it all back, or walks away and lets the
 * reservation expire. Every request that gets no definitive
 * answer (a 503, a dropped connection, a timeout) is sent again with its Idempotency-Key and the
 * same body, as API.md tells clients to, until it gets one or the retry budget runs out.
 */
export async function runShopper(shopper: number, options: ShopperOptions, findings: ShopperFindings): Promise<void> {
  const client = new ShopperClient(options, shopper, findings);
  while (Date.now() < options.until) {
    const journal: OrderJournal = {
      shopper,
      scenario: pick(SCENARIOS),
      placeKey: randomUUID(),
      body: orderBody(options),
      answers: [],
    };
    findings.journals.push(journal);
    await client.follow(journal);
  }
}

class ShopperClient {
  constructor(
    private readonly options: ShopperOptions,
    private readonly shopper: number,
    private readonly findings: ShopperFindings,
  ) {}

  async follow(journal: OrderJournal): Promise<void> {
    const placed = await this.send(journal, 'place', '/orders', journal.placeKey, journal.body);
    if (placed.status !== 201) return;
    const pay = (token: string, options: { retry?: boolean } = {}) =>
      this.send(journal, 'pay', `/orders/${journal.orderId}/payment`, randomUUID(), { paymentToken: token }, options);
    const cancel = () => this.send(journal, 'cancel', `/orders/${journal.orderId}/cancel`, randomUUID(), { reason: 'chaos shopper' });
    switch (journal.scenario) {
      case 'pay':
        await pay('tok_visa');
        return;
      case 'decline-then-pay':
        await pay('tok_decline_chaos');
        await pay('tok_visa');
        return;
      case 'cancel':
        await cancel();
        return;
      case 'pay-then-cancel':
        if ((await pay('tok_visa')).status === 200) await cancel();
        return;
      case 'let-expire':
        return;
      case 'decline-and-leave':
        await pay('tok_decline_chaos');
        return;
      case 'lost-then-pay':
        // The provider charges and loses the answer: the saga must find the charge and give it back.
        await pay('tok_lost_chaos', { retry: false });
        await pay('tok_visa');
        return;
      case 'pay-cancel-race':
        await Promise.all([pay('tok_visa'), cancel()]);
        return;
      case 'deliver-and-return':
        await this.deliverAndReturn(journal, await pay('tok_visa'));
        return;
    }
  }

  /** The warehouse ships and then delivers every delivery order; the shopper sends everything back. */
  private async deliverAndReturn(journal: OrderJournal, paid: Answer): Promise<void> {
    if (paid.status !== 200) return;
    for (const step of ['ship', 'deliver'] as const) {
      for (const id of journal.deliveryOrderIds ?? []) {
        const moved = await this.send(journal, step, `/delivery-orders/${id}/${step}`, randomUUID(), {}, { asWarehouse: true });
        if (moved.status !== 200) return;
      }
    }
    await this.send(journal, 'return', `/orders/${journal.orderId}/returns`, randomUUID(), { reason: 'chaos shopper' });
  }

  /** One request, sent again with its key until a definitive answer or the retry budget is spent. */
  private async send(
    journal: OrderJournal,
    action: Action,
    path: string,
    idempotencyKey: string,
    body: unknown,
    { retry = true, asWarehouse = false }: { retry?: boolean; asWarehouse?: boolean } = {},
  ): Promise<Answer> {
    const giveUpAt = Date.now() + this.options.retryBudgetMs;
    const request = { path, idempotencyKey, body, asWarehouse };
    for (let attempts = 1, delay = 250; ; attempts++, delay = Math.min(delay * 2, 2_000)) {
      const answer = { ...(await this.request(action, request)), attempts };
      if (answer.status === 201 && action === 'place') journal.orderId = answer.orderId;
      if (answer.status === 200 && action === 'pay') journal.deliveryOrderIds = answer.deliveryOrderIds;
      if (answer.status >= 500 && answer.status !== 503) {
        this.findings.serverErrors.push(`${action} ${path} answered ${answer.status} ${answer.code ?? ''}`);
      }
      // A provider that stays silent: each retry under the key is a new try (the same charge
      // key, so nothing is taken twice), but a storefront gives up on it after three.
      const sameAnswerForEver = answer.code === 'PAYMENT_UNAVAILABLE' && attempts >= 3;
      if (answer.definitive || !retry || sameAnswerForEver || Date.now() > giveUpAt) {
        journal.answers.push(withoutOrderId(answer));
        return answer;
      }
      await sleep(delay);
    }
  }

  /** Sends a keyed POST once. */
  async request(
    action: Action,
    request: KeyedPost,
  ): Promise<Omit<Answer, 'attempts'> & { orderId?: string; deliveryOrderIds?: string[] }> {
    const { path, idempotencyKey, body } = request;
    const token = (body as { paymentToken?: string }).paymentToken;
    try {
      const response = await fetch(`${this.options.apiUrl}${path}`, {
        method: 'POST',
        headers: {
          'X-API-Key': request.asWarehouse ? WAREHOUSE_KEY : shopperKey(this.shopper),
          'Content-Type': 'application/json',
          'Idempotency-Key': idempotencyKey,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(60_000),
      });
      const envelope = (await response.json().catch(() => ({}))) as {
        data?: { id?: string; deliveryOrderIds?: string[] };
        error?: { code?: string };
      };
      const { status } = response;
      // 202 from ship or deliver: accepted, not yet recorded; asked again under its key.
      const definitive = status < 500 && status !== 202;
      const { id: orderId, deliveryOrderIds } = envelope.data ?? {};
      return { action, status, code: envelope.error?.code, definitive, token, request, orderId, deliveryOrderIds };
    } catch {
      return { action, status: 0, definitive: false, token, request };
    }
  }
}

/**
 * Asks again, with the same key and body, for every answer that was definitive, as a storefront
 * whose connection dropped would: API.md promises the first answer again, the same status and
 * the same order, long after the saga ended and whatever crashed in between. Answers each
 * difference.
 */
export async function replayAnswers(options: ShopperOptions, journals: readonly OrderJournal[]): Promise<string[]> {
  const differences: string[] = [];
  for (const journal of journals) {
    const client = new ShopperClient(options, journal.shopper, { journals: [], serverErrors: [] });
    for (const first of journal.answers.filter((answer) => answer.definitive)) {
      const again = await client.request(first.action, first.request);
      const sameOrder = first.action !== 'place' || first.status !== 201 || again.orderId === journal.orderId;
      if (again.status !== first.status || again.code !== first.code || !sameOrder) {
        differences.push(
          `shopper ${journal.shopper}: ${first.action} ${first.request.path} (key ${first.request.idempotencyKey}) first answered ` +
            `${first.status} ${first.code ?? ''}, asked again ${again.status} ${again.code ?? ''}${sameOrder ? '' : ` with order ${again.orderId}`}`,
        );
      }
    }
  }
  return differences;
}

function withoutOrderId({ orderId: _orderId, deliveryOrderIds: _ids, ...answer }: Answer & { orderId?: string; deliveryOrderIds?: string[] }): Answer {
  return answer;
}

function orderBody(options: ShopperOptions): PlaceBody {
  const lines = new Map<string, { productId: string; warehouseId?: string; quantity: number }>();
  for (let i = 0, count = 1 + Math.floor(Math.random() * 2); i < count; i++) {
    const item = options.catalog[Math.floor(Math.random() * options.catalog.length)]!;
    lines.set(`${item.productId}/${item.warehouseId ?? ''}`, { ...item, quantity: 1 + Math.floor(Math.random() * 3) });
  }
  return {
    items: [...lines.values()],
    shippingAddress: '1 Chaos Street',
    ...(Math.random() < 0.2 ? { voucherCode: options.voucherCode } : {}),
  };
}

function pick<T>(weighted: Array<[T, number]>): T {
  let roll = Math.random() * weighted.reduce((sum, [, weight]) => sum + weight, 0);
  for (const [value, weight] of weighted) {
    roll -= weight;
    if (roll < 0) return value;
  }
  return weighted[0]![0];
}
