import { sql, type SQL } from 'drizzle-orm';
import type { OrderStatus } from '../domain/order';
import type { Db } from './client';

/** A level that disagrees with its ledger or with its active reservations. */
export interface InventoryDiscrepancy {
  productId: string;
  warehouseId: string;
  /** The level as stored (0 when only ledger or reservation rows exist). */
  onHand: number;
  reserved: number;
  /** sum(delta_on_hand) and sum(delta_reserved) of the level's inventory_movements. */
  ledgerOnHand: number;
  ledgerReserved: number;
  /** sum(quantity) of the level's active stock_reservations. */
  activelyReserved: number;
}

/**
 * Checks the stock invariant the ledger exists for: per (product, warehouse), on_hand and
 * reserved equal the sums of the movements, and reserved equals what active reservations hold.
 * One statement, so it reads one consistent snapshot. Empty when everything agrees.
 */
export async function findInventoryDiscrepancies(db: Pick<Db, 'execute'>): Promise<InventoryDiscrepancy[]> {
  const rows = await db.execute<{
    product_id: string;
    warehouse_id: string;
    on_hand: number;
    reserved: number;
    ledger_on_hand: number;
    ledger_reserved: number;
    actively_reserved: number;
  }>(sql`
    WITH ledger AS (
      SELECT product_id, warehouse_id, sum(delta_on_hand) AS on_hand, sum(delta_reserved) AS reserved
      FROM inventory_movements
      GROUP BY product_id, warehouse_id
    ), holds AS (
      SELECT product_id, warehouse_id, sum(quantity) AS reserved
      FROM stock_reservations
      WHERE status = 'active'
      GROUP BY product_id, warehouse_id
    ), levels AS (
      SELECT product_id, warehouse_id FROM inventory_levels
      UNION SELECT product_id, warehouse_id FROM ledger
      UNION SELECT product_id, warehouse_id FROM holds
    )
    SELECT k.product_id, k.warehouse_id,
           coalesce(l.on_hand, 0)::bigint AS on_hand,
           coalesce(l.reserved, 0)::bigint AS reserved,
           coalesce(m.on_hand, 0)::bigint AS ledger_on_hand,
           coalesce(m.reserved, 0)::bigint AS ledger_reserved,
           coalesce(h.reserved, 0)::bigint AS actively_reserved
    FROM levels k
    LEFT JOIN inventory_levels l USING (product_id, warehouse_id)
    LEFT JOIN ledger m USING (product_id, warehouse_id)
    LEFT JOIN holds h USING (product_id, warehouse_id)
    WHERE coalesce(l.on_hand, 0) <> coalesce(m.on_hand, 0)
       OR coalesce(l.reserved, 0) <> coalesce(m.reserved, 0)
       OR coalesce(l.reserved, 0) <> coalesce(h.reserved, 0)
    ORDER BY k.product_id, k.warehouse_id
  `);
  return rows.map((row) => ({
    productId: row.product_id,
    warehouseId: row.warehouse_id,
    onHand: row.on_hand,
    reserved: row.reserved,
    ledgerOnHand: row.ledger_on_hand,
    ledgerReserved: row.ledger_reserved,
    activelyReserved: row.actively_reserved,
  }));
}

/** One line saying what is wrong with a level. */
export function describeInventoryDiscrepancy(d: InventoryDiscrepancy): string {
  const problems = [
    d.onHand !== d.ledgerOnHand && `onHand ${d.onHand} but the ledger sums to ${d.ledgerOnHand}`,
    d.reserved !== d.ledgerReserved && `reserved ${d.reserved} but the ledger sums to ${d.ledgerReserved}`,
    d.reserved !== d.activelyReserved && `reserved ${d.reserved} but active reservations hold ${d.activelyReserved}`,
  ].filter(Boolean);
  return `discrepancy: product ${d.productId} in warehouse ${d.warehouseId}: ${problems.join('; ')}`;
}

/** What an audit found: how many rows it checked (levels, orders) and every discrepancy among them. */
export interface AuditResult<D> {
  checked: number;
  discrepancies: D[];
}

/** The audit `npm run check:inventory` prints: every level checked, and every discrepancy. */
export function auditInventory(db: Db): Promise<AuditResult<InventoryDiscrepancy>> {
  return inOneSnapshot(db, sql`SELECT count(*)::bigint AS checked FROM inventory_levels`, findInventoryDiscrepancies);
}

/** Counts and looks in one snapshot, so the count is of the rows the discrepancies were looked for in. */
function inOneSnapshot<D>(
  db: Db,
  count: SQL,
  find: (tx: Pick<Db, 'execute'>) => Promise<D[]>,
): Promise<AuditResult<D>> {
  return db.transaction(
    async (tx) => {
      const [counted] = await tx.execute<{ checked: number }>(count);
      return { checked: counted?.checked ?? 0, discrepancies: await find(tx) };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}

/** Statuses in which an order keeps nothing: it ended before it was paid for, or gave everything back. */
const KEEPS_NOTHING: readonly OrderStatus[] = ['rejected', 'cancelled', 'expired'];
/** Statuses in which an order keeps its total, less what its returns refunded. */
const KEEPS_TOTAL: readonly OrderStatus[] = ['confirmed', 'shipped', 'delivered', 'returned'];

/** An order whose money disagrees: with the provider's books, or with what its status means. */
export interface MoneyDiscrepancy {
  /** Null for a charge the provider holds under a key no payment of ours knows. */
  orderId: string | null;
  /** That key, for such a charge; null otherwise. */
  providerKey: string | null;
  status: string | null;
  total: number;
  /** What the status means the order keeps; null while it is still open (awaiting payment). */
  expectedKept: number | null;
  /** What payments and refunds say is kept: each succeeded (or refunded) charge less its refunds. */
  recordedKept: number;
  /** What the provider holds for the order's settled payments: charges not voided, less their refunds. */
  providerHeld: number;
  payments: number;
  pendingPayments: number;
  /** Each thing that is wrong, in words. */
  problems: string[];
}

type OrderMoney = {
  order_id: string | null;
  provider_key: string | null;
  status: string | null;
  total: number;
  returns_refunded: number;
  recorded_kept: number;
  provider_held: number;
  payments: number;
  pending_payments: number;
};

/**
 * Checks the money invariant, order by order: what the sandbox provider holds for the order's
 * payments (its charges not voided, less their refunds) equals what `payments` and `refunds` say
 * is kept, and that agrees with the order's status. Rejected, cancelled and expired orders keep
 * nothing; confirmed, shipped, delivered and returned ones keep their total less what their
 * returns refunded; an order whose total is 0 has no payment; only an order still awaiting
 * payment may have a payment whose outcome is pending (and the provider may hold its charge).
 * A charge the provider holds under a key no payment knows is a discrepancy too. One statement,
 * so it reads one consistent snapshot. Empty when everything agrees.
 */
export async function findMoneyDiscrepancies(db: Pick<Db, 'execute'>): Promise<MoneyDiscrepancy[]> {
  const rows = await db.execute<OrderMoney>(sql`
    WITH held AS (
      SELECT c.idempotency_key,
             CASE WHEN c.status = 'succeeded'
                  THEN c.amount - coalesce((SELECT sum(r.amount) FROM sandbox_refunds r WHERE r.provider_ref = c.provider_ref), 0)
                  ELSE 0 END AS amount
      FROM sandbox_charges c
    ), per_payment AS (
      SELECT p.order_id, p.status,
             CASE WHEN p.status IN ('succeeded', 'refunded')
                  THEN p.amount - coalesce((SELECT sum(f.amount) FROM refunds f WHERE f.payment_id = p.id), 0)
                  ELSE 0 END AS kept,
             coalesce(h.amount, 0) AS held
      FROM payments p LEFT JOIN held h USING (idempotency_key)
    ), per_order AS (
      SELECT order_id,
             count(*) AS payments,
             count(*) FILTER (WHERE status = 'pending') AS pending_payments,
             sum(kept) AS recorded_kept,
             coalesce(sum(held) FILTER (WHERE status <> 'pending'), 0) AS provider_held
      FROM per_payment
      GROUP BY order_id
    ), returned AS (
      SELECT order_id, sum(refund_amount) AS refunded FROM order_returns GROUP BY order_id
    )
    SELECT o.id AS order_id, NULL AS provider_key, o.status, o.total::bigint AS total,
           coalesce(r.refunded, 0)::bigint AS returns_refunded,
           coalesce(m.recorded_kept, 0)::bigint AS recorded_kept,
           coalesce(m.provider_held, 0)::bigint AS provider_held,
           coalesce(m.payments, 0)::bigint AS payments,
           coalesce(m.pending_payments, 0)::bigint AS pending_payments
    FROM orders o
    LEFT JOIN per_order m ON m.order_id = o.id
    LEFT JOIN returned r ON r.order_id = o.id
    UNION ALL
    SELECT NULL, h.idempotency_key, NULL, 0, 0, 0, h.amount::bigint, 0, 0
    FROM held h
    WHERE h.amount <> 0 AND NOT EXISTS (SELECT 1 FROM payments p WHERE p.idempotency_key = h.idempotency_key)
    ORDER BY 1, 2
  `);
  return rows.flatMap((row) => {
    const discrepancy = judgeOrderMoney(row);
    return discrepancy.problems.length > 0 ? [discrepancy] : [];
  });
}

function judgeOrderMoney(row: OrderMoney): MoneyDiscrepancy {
  const status = row.status as OrderStatus | null;
  const expectedKept =
    status === null || KEEPS_NOTHING.includes(status) ? 0 : KEEPS_TOTAL.includes(status) ? row.total - row.returns_refunded : null;
  const problems: string[] = [];
  if (row.order_id === null) {
    problems.push(`the provider holds ${row.provider_held} under key ${row.provider_key}, which no payment knows`);
  } else {
    if (row.provider_held !== row.recorded_kept) {
      problems.push(`the provider holds ${row.provider_held} but payments and refunds say ${row.recorded_kept} is kept`);
    }
    if (expectedKept !== null && row.recorded_kept !== expectedKept) {
      problems.push(`it keeps ${row.recorded_kept}, but an order that is ${status} keeps ${expectedKept}`);
    }
    if (status !== 'awaiting_payment' && row.pending_payments > 0) {
      problems.push(`${row.pending_payments} payment(s) still pending, but only an order awaiting payment may have one`);
    }
    if (row.total === 0 && row.payments > 0) {
      problems.push(`${row.payments} payment(s), but its total is 0`);
    }
  }
  return {
    orderId: row.order_id,
    providerKey: row.provider_key,
    status: row.status,
    total: row.total,
    expectedKept,
    recordedKept: row.recorded_kept,
    providerHeld: row.provider_held,
    payments: row.payments,
    pendingPayments: row.pending_payments,
    problems,
  };
}

/** One line saying what is wrong with an order's money. */
export function describeMoneyDiscrepancy(d: MoneyDiscrepancy): string {
  const subject = d.orderId === null ? 'a charge of no order' : `order ${d.orderId} (${d.status}, total ${d.total})`;
  return `discrepancy: ${subject}: ${d.problems.join('; ')}`;
}

/** The audit `npm run check:money` prints: every order checked, and every discrepancy. */
export function auditMoney(db: Db): Promise<AuditResult<MoneyDiscrepancy>> {
  return inOneSnapshot(db, sql`SELECT count(*)::bigint AS checked FROM orders`, findMoneyDiscrepancies);
}
