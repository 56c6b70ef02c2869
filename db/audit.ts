import { sql } from 'drizzle-orm';
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
           coalesce(l.on_hand, 0)::int AS on_hand,
           coalesce(l.reserved, 0)::int AS reserved,
           coalesce(m.on_hand, 0)::int AS ledger_on_hand,
           coalesce(m.reserved, 0)::int AS ledger_reserved,
           coalesce(h.reserved, 0)::int AS actively_reserved
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

/** The audit `npm run check:inventory` prints: how many levels were checked, and every discrepancy. */
export async function auditInventory(db: Db): Promise<{ levelsChecked: number; discrepancies: InventoryDiscrepancy[] }> {
  // One snapshot for both reads, so the count is of the levels the discrepancies were looked for in.
  return db.transaction(
    async (tx) => {
      const [counted] = await tx.execute<{ levels: number }>(sql`SELECT count(*)::int AS levels FROM inventory_levels`);
      return { levelsChecked: counted?.levels ?? 0, discrepancies: await findInventoryDiscrepancies(tx) };
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
}
