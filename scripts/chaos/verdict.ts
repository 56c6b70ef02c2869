import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { orderIdForIdempotencyKey } from '../../api/idempotency';
import {
  describeInventoryDiscrepancy,
  describeMoneyDiscrepancy,
  findInventoryDiscrepancies,
  findMoneyDiscrepancies,
} from '../../db/audit';
import type { Database } from '../../db/client';
import { orderIdOfWorkflow, type OrderStatus } from '../../domain/order';
import type { Action, OrderJournal } from './shoppers';
import { shopperId } from './stack';

/** Statuses an order rests in once its saga has nothing left to do without a warehouse or a shopper. */
const AT_REST: readonly OrderStatus[] = ['confirmed', 'shipped', 'delivered', 'returned', 'cancelled', 'expired', 'rejected'];
/** Statuses whose saga stays open, waiting for the warehouse (shipment, delivery, the return window). */
const OPEN_FOR_FULFILMENT: readonly OrderStatus[] = ['confirmed', 'shipped', 'delivered'];
const PAID: readonly OrderStatus[] = ['confirmed', 'shipped', 'delivered'];

/**
 * Waits until every saga has settled: no order pending or awaiting payment, no payment whose
 * outcome is unknown, no saga still running for an order that ended, and no running saga with an
 * activity pending (a step retrying). Answers what is still unsettled at the deadline (empty
 * when everything settled).
 */
export async function waitUntilSettled(database: Database, temporal: Client, timeoutMs: number): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let unsettled: string[] = [];
  while (Date.now() < deadline) {
    unsettled = await unsettledNow(database, temporal);
    if (unsettled.length === 0) return [];
    await sleep(2_000);
  }
  return unsettled.map((line) => `not settled after ${timeoutMs / 1000}s: ${line}`);
}

async function unsettledNow(database: Database, temporal: Client): Promise<string[]> {
  const problems: string[] = [];
  const restless = await database.sql<Array<{ id: string; status: string }>>`
    SELECT id, status FROM orders WHERE status <> ALL(${AT_REST as string[]}) ORDER BY id`;
  for (const order of restless) problems.push(`order ${order.id} is ${order.status}`);
  const pending = await database.sql<Array<{ order_id: string }>>`SELECT order_id FROM payments WHERE status = 'pending'`;
  for (const payment of pending) problems.push(`order ${payment.order_id} has a payment whose outcome is pending`);
  if (problems.length > 0) return problems;

  const statuses = new Map(
    (await database.sql<Array<{ id: string; status: OrderStatus }>>`SELECT id, status FROM orders`).map((row) => [row.id, row.status]),
  );
  for await (const execution of temporal.workflow.list({ query: 'ExecutionStatus = "Running"' })) {
    const orderId = orderIdOfWorkflow(execution.workflowId);
    const status = orderId === undefined ? undefined : statuses.get(orderId);
    if (status === undefined || !OPEN_FOR_FULFILMENT.includes(status)) {
      problems.push(`saga ${execution.workflowId} still runs, its order ${status ?? 'unknown'}`);
      continue;
    }
    const { raw } = await temporal.workflow.getHandle(execution.workflowId).describe();
    for (const activity of raw.pendingActivities ?? []) {
      problems.push(
        `saga ${execution.workflowId} (${status}) has ${activity.activityType?.name ?? 'an activity'} pending, attempt ${activity.attempt}: ${activity.lastFailure?.message ?? 'no failure yet'}`,
      );
    }
  }
  return problems;
}

/**
 * What each shopper was told against what became of its order. A 201 placement must have made
 * that order; a refused one none (or a rejected one). A 200 cancel means cancelled (its refund is
 * the money audit's to check); otherwise a 200 pay means paid, and as far shipped, delivered or
 * returned as the warehouse's and the return's answers say. An order nobody paid or cancelled
 * expired. A request that never got a definitive answer may or may not have taken effect: each
 * such one widens what the order may have become.
 */
export async function checkAnswers(database: Database, journals: readonly OrderJournal[]): Promise<string[]> {
  const rows = await database.sql<Array<{ id: string; status: OrderStatus; customer_id: string }>>`
    SELECT id, status, customer_id FROM orders`;
  const byId = new Map(rows.map((row) => [row.id, row]));
  const violations: string[] = [];
  for (const journal of journals) {
    const who = `shopper ${journal.shopper} (${journal.scenario}, key ${journal.placeKey})`;
    const place = journal.answers.find((answer) => answer.action === 'place')!;
    if (place.status !== 201) {
      const orderId = orderIdForIdempotencyKey({ role: 'customer', subject: shopperId(journal.shopper), method: 'api-key' }, journal.placeKey);
      const order = byId.get(orderId);
      const allowed: Array<OrderStatus | undefined> = place.definitive ? [undefined, 'rejected'] : [undefined, 'rejected', 'expired', 'cancelled'];
      if (!allowed.includes(order?.status)) {
        violations.push(`${who}: placing answered ${describe(place)}, yet order ${orderId} is ${order!.status}`);
      }
      continue;
    }
    const order = journal.orderId === undefined ? undefined : byId.get(journal.orderId);
    if (!order) {
      violations.push(`${who}: placing answered 201 with order ${journal.orderId}, which does not exist`);
      continue;
    }
    if (order.customer_id !== shopperId(journal.shopper)) {
      violations.push(`${who}: order ${order.id} belongs to ${order.customer_id}`);
    }
    const allowed = allowedEndStatuses(journal);
    if (!allowed.includes(order.status)) {
      const told = journal.answers.map(describe).join(', ');
      violations.push(`${who}: told ${told}; order ${order.id} ended ${order.status}, expected ${allowed.join(' or ')}`);
    }
  }
  return violations;
}

function allowedEndStatuses(journal: OrderJournal): OrderStatus[] {
  const answered = (action: Action, status: number) => journal.answers.filter((a) => a.action === action && a.status === status).length;
  const unknown = (action: Action) => journal.answers.some((a) => a.action === action && !a.definitive);
  const allowed = new Set<OrderStatus>();
  if (answered('cancel', 200)) allowed.add('cancelled');
  else if (answered('pay', 200)) allowed.add(fulfilmentReached(journal, answered));
  else allowed.add('expired');
  if (unknown('pay') && !answered('cancel', 200)) allowed.add('confirmed');
  if (unknown('cancel')) allowed.add('cancelled');
  if (unknown('ship')) allowed.add('shipped');
  if (unknown('deliver')) allowed.add('delivered');
  if (unknown('return')) allowed.add('returned');
  return [...allowed];
}

/** How far a paid order got by what the warehouse and the shopper were told: every delivery order moved, everything returned. */
function fulfilmentReached(journal: OrderJournal, answered: (action: Action, status: number) => number): OrderStatus {
  const deliveryOrders = journal.deliveryOrderIds?.length ?? 0;
  if (answered('return', 201)) return 'returned';
  if (deliveryOrders > 0 && answered('deliver', 200) === deliveryOrders) return 'delivered';
  if (deliveryOrders > 0 && answered('ship', 200) === deliveryOrders) return 'shipped';
  return 'confirmed';
}

function describe(answer: OrderJournal['answers'][number]): string {
  const outcome = answer.status === 0 ? 'no answer' : `${answer.status}${answer.code ? ` ${answer.code}` : ''}`;
  const tries = answer.attempts > 1 ? ` after ${answer.attempts} tries` : '';
  return `${answer.action}${answer.token ? ` ${answer.token}` : ''} → ${outcome}${tries}`;
}

export interface StockedLevel {
  productId: string;
  warehouseId: string;
  onHand: number;
}

/**
 * Stock by its own arithmetic, beside the ledger audit: nothing is reserved once every saga
 * settled, and each level holds what it was stocked with less what paid orders took from it (so
 * no level sold more than it had); a returned order, sent back whole, took nothing.
 */
export async function checkStock(database: Database, stocked: readonly StockedLevel[]): Promise<string[]> {
  const violations = (await findInventoryDiscrepancies(database.db)).map(describeInventoryDiscrepancy);
  for (const level of stocked) {
    const [row] = await database.sql<Array<{ on_hand: number; reserved: number; sold: number }>>`
      SELECT l.on_hand, l.reserved,
        (SELECT coalesce(sum(i.quantity), 0)::int FROM order_items i JOIN orders o ON o.id = i.order_id
         WHERE i.product_id = l.product_id AND i.warehouse_id = l.warehouse_id AND o.status = ANY(${PAID as string[]})) AS sold
      FROM inventory_levels l WHERE l.product_id = ${level.productId} AND l.warehouse_id = ${level.warehouseId}`;
    const name = `${level.productId} in ${level.warehouseId}`;
    if (!row) {
      violations.push(`${name}: the level is gone`);
      continue;
    }
    if (row.sold > level.onHand) violations.push(`${name}: oversold, ${row.sold} sold of ${level.onHand} stocked`);
    if (row.on_hand !== level.onHand - row.sold) {
      violations.push(`${name}: on hand ${row.on_hand}, but ${level.onHand} stocked less ${row.sold} sold is ${level.onHand - row.sold}`);
    }
    if (row.reserved !== 0) violations.push(`${name}: ${row.reserved} still reserved after every saga settled`);
  }
  return violations;
}

/** Money against the provider's books and each order's status (check:money). */
export async function checkMoney(database: Database): Promise<string[]> {
  return (await findMoneyDiscrepancies(database.db)).map(describeMoneyDiscrepancy);
}

/** How many orders ended in each status, for the report. */
export async function endStatuses(database: Database): Promise<Record<string, number>> {
  const rows = await database.sql<Array<{ status: string; count: number }>>`
    SELECT status, count(*)::int AS count FROM orders GROUP BY status ORDER BY status`;
  return Object.fromEntries(rows.map((row) => [row.status, row.count]));
}
