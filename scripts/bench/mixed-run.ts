// The mixed run: shoppers place, pay, cancel, pay and then cancel, get declined, or walk away
// and let the hold expire, over a few scarce products. Afterwards every order must be where its
// shopper's answers put it, no product may have sold more than it had, and (with direct access)
// the ledger must equal the levels, money must agree, and every saga must be running or done as
// its order's status says.
import { randomInt } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import {
  describeInventoryDiscrepancy,
  describeMoneyDiscrepancy,
  findInventoryDiscrepancies,
  findMoneyDiscrepancies,
} from '../../db/audit';
import { openDatabase } from '../../db/client';
import { workflowIdFor } from '../../domain/order';
import { MIXED_ON_HAND, randomCart, WAREHOUSE, type BenchCatalog } from './catalog';
import { closedLoop } from './load';
import { labelOf, type Answer, type OrderLine, type ShopClient, type Shopper } from './shop-client';
import type { DirectAccess } from './stack';

type Fate = 'pay' | 'pay-then-cancel' | 'cancel' | 'declined' | 'expire';
/** How often each fate is drawn, in percent. */
const FATES: Array<[Fate, number]> = [
  ['pay', 40],
  ['pay-then-cancel', 10],
  ['cancel', 20],
  ['declined', 10],
  ['expire', 20],
];
const SETTLE_MARGIN_MS = 30_000;

interface PlacedOrder {
  id: string;
  shopper: Shopper;
  fate: Fate;
  lines: OrderLine[];
  /** The status the shopper's answers promise; undefined when an answer promised nothing. */
  expected?: 'confirmed' | 'cancelled' | 'expired';
}

export interface MixedRunReport {
  clients: number;
  durationS: number;
  placed: number;
  refused: number;
  byFate: Record<string, number>;
  answers: Record<string, number>;
  endStatuses: Record<string, number>;
  /** Empty when every invariant held. */
  violations: string[];
  notes: string[];
}

function drawFate(canExpire: boolean): Fate {
  let roll = randomInt(100);
  for (const [fate, weight] of FATES) {
    if (roll < weight) return !canExpire && (fate === 'expire' || fate === 'declined') ? 'cancel' : fate;
    roll -= weight;
  }
  return 'pay';
}

/** What the shopper's answers promise: confirmed after a 200 to pay, cancelled after a 200 to cancel, expired otherwise. */
function expectedAfter(pay: Answer | undefined, cancel: Answer | undefined): PlacedOrder['expected'] {
  if (cancel?.status === 200) return 'cancelled';
  if (cancel) return undefined;
  if (pay?.status === 200) return 'confirmed';
  // A 503 (after the retries) leaves the charge's outcome to the saga: it promised nothing.
  if (pay && pay.status >= 500) return undefined;
  return 'expired';
}

export async function mixedRun(options: {
  shop: ShopClient;
  shoppers: Shopper[];
  catalog: BenchCatalog;
  clients: number;
  durationMs: number;
  direct?: DirectAccess;
}): Promise<MixedRunReport> {
  const { shop, shoppers, catalog, direct } = options;
  const canExpire = direct !== undefined;
  const orders: PlacedOrder[] = [];
  const answers: Record<string, number> = {};
  const violations: string[] = [];
  const notes: string[] = [];
  const count = (what: string, answer: Answer) => {
    const label = `${what} ${labelOf(answer)}`;
    answers[label] = (answers[label] ?? 0) + 1;
    return answer;
  };
  let refused = 0;

  await closedLoop({
    clients: options.clients,
    warmupMs: 0,
    durationMs: options.durationMs,
    call: async (client) => {
      const shopper = shoppers[client % shoppers.length]!;
      const lines = randomCart(catalog.mixed, 2, 3);
      const placed = count('place', await shop.placeOrder(shopper, lines));
      if (placed.status === 409 && placed.code === 'INSUFFICIENT_INVENTORY') {
        refused++;
        return 'refused';
      }
      if (placed.status !== 201 || !placed.data?.id) {
        violations.push(`placing answered ${labelOf(placed)}`);
        return 'error';
      }
      const order: PlacedOrder = { id: placed.data.id, shopper, fate: drawFate(canExpire), lines };
      orders.push(order);
      let pay: Answer | undefined;
      let cancel: Answer | undefined;
      if (order.fate === 'pay' || order.fate === 'pay-then-cancel') pay = count('pay', await shop.pay(shopper, order.id, 'tok_visa'));
      if (order.fate === 'declined') pay = count('pay', await shop.pay(shopper, order.id, 'tok_decline_bench'));
      if (order.fate === 'cancel' || (order.fate === 'pay-then-cancel' && pay?.status === 200)) {
        cancel = count('cancel', await shop.cancel(shopper, order.id));
      }
      for (const answer of [pay, cancel]) {
        if (answer && answer.status >= 500) violations.push(`order ${order.id}: ${order.fate} answered ${labelOf(answer)}`);
      }
      order.expected = expectedAfter(pay, cancel);
      return order.fate;
    },
  });

  // Unpaid holds lapse after the short TTL; wait until every order has left awaiting_payment.
  const endStatuses = new Map<string, string>();
  const settleBy = Date.now() + (direct?.shortTtlMs ?? 0) + SETTLE_MARGIN_MS;
  for (;;) {
    const open = orders.filter((o) => !endStatuses.has(o.id) || endStatuses.get(o.id) === 'awaiting_payment');
    for (const order of open) {
      const answer = await shop.getOrder(order.shopper, order.id);
      endStatuses.set(order.id, answer.data?.status ?? `unreadable (${labelOf(answer)})`);
    }
    if (!orders.some((o) => endStatuses.get(o.id) === 'awaiting_payment') || Date.now() > settleBy) break;
    await sleep(1_000);
  }

  const sold = new Map<string, number>();
  for (const order of orders) {
    const status = endStatuses.get(order.id)!;
    if (order.expected && status !== order.expected) {
      violations.push(`order ${order.id} (${order.fate}) is ${status}, but the shopper's answers say ${order.expected}`);
    }
    if (status === 'confirmed') for (const line of order.lines) sold.set(line.productId, (sold.get(line.productId) ?? 0) + line.quantity);
  }
  for (const productId of catalog.mixed) {
    const level = await shop.getLevel(productId, WAREHOUSE);
    const onHand = Number(level.data?.onHand);
    const reserved = Number(level.data?.reserved);
    const soldHere = sold.get(productId) ?? 0;
    if (soldHere > MIXED_ON_HAND) violations.push(`${productId}: ${soldHere} sold of ${MIXED_ON_HAND}`);
    if (onHand !== MIXED_ON_HAND - soldHere || reserved !== 0) {
      violations.push(`${productId}: onHand ${onHand}, reserved ${reserved}; expected onHand ${MIXED_ON_HAND - soldHere} (${soldHere} sold), reserved 0`);
    }
  }

  if (direct) {
    violations.push(...(await auditBooks(direct.databaseUrl)));
    violations.push(...(await checkSagas(direct.temporalAddress, orders, endStatuses)));
  } else {
    notes.push('BENCH_URL: no expiries (the remote TTL is unknown), no ledger/money audit and no saga check (they need direct access)');
  }

  const tally = (values: Iterable<string>) => {
    const counts: Record<string, number> = {};
    for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
    return counts;
  };
  return {
    clients: options.clients,
    durationS: options.durationMs / 1000,
    placed: orders.length,
    refused,
    byFate: tally(orders.map((o) => o.fate)),
    answers,
    endStatuses: tally(endStatuses.values()),
    violations,
    notes,
  };
}

/** check:inventory's and check:money's checks over the whole database, every pass's orders included. */
async function auditBooks(databaseUrl: string): Promise<string[]> {
  const database = openDatabase(databaseUrl, { max: 2 });
  try {
    const [stock, money] = await Promise.all([findInventoryDiscrepancies(database.db), findMoneyDiscrepancies(database.db)]);
    return [...stock.map(describeInventoryDiscrepancy), ...money.map(describeMoneyDiscrepancy)];
  } finally {
    await database.close();
  }
}

/** A confirmed order's saga waits for its delivery; a cancelled or expired one has finished. */
async function checkSagas(address: string, orders: PlacedOrder[], endStatuses: Map<string, string>): Promise<string[]> {
  const connection = await Connection.connect({ address });
  const client = new Client({ connection });
  const problems: string[] = [];
  try {
    for (const order of orders) {
      const status = endStatuses.get(order.id)!;
      const expected = status === 'confirmed' ? 'RUNNING' : 'COMPLETED';
      const { status: saga } = await client.workflow.getHandle(workflowIdFor(order.id)).describe();
      if (saga.name !== expected) problems.push(`order ${order.id} is ${status} but its saga is ${saga.name}, not ${expected}`);
    }
  } finally {
    await connection.close();
  }
  return problems;
}
