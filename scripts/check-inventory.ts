/**
 * `npm run check:inventory`: audits the stock over DATABASE_URL. Every level must equal the sums
 * of its ledger rows, and its `reserved` what its active reservations hold. Prints each
 * discrepancy and exits 1 when there is one; exits 2 when it cannot run (no DATABASE_URL, no
 * database).
 */
import { auditInventory, type InventoryDiscrepancy } from '../db/audit';
import { openDatabase } from '../db/client';

const EXIT_CONSISTENT = 0;
const EXIT_DISCREPANCY = 1;
const EXIT_CANNOT_CHECK = 2;

function describeDiscrepancy(d: InventoryDiscrepancy): string {
  const problems = [
    d.onHand !== d.ledgerOnHand && `onHand ${d.onHand} but the ledger sums to ${d.ledgerOnHand}`,
    d.reserved !== d.ledgerReserved && `reserved ${d.reserved} but the ledger sums to ${d.ledgerReserved}`,
    d.reserved !== d.activelyReserved && `reserved ${d.reserved} but active reservations hold ${d.activelyReserved}`,
  ].filter(Boolean);
  return `discrepancy: product ${d.productId} in warehouse ${d.warehouseId}: ${problems.join('; ')}`;
}

async function main(): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error('usage: DATABASE_URL=postgres://... npm run check:inventory');
    return EXIT_CANNOT_CHECK;
  }
  const database = openDatabase(url, { max: 1 });
  try {
    const { levelsChecked, discrepancies } = await auditInventory(database.db);
    for (const discrepancy of discrepancies) console.log(describeDiscrepancy(discrepancy));
    if (discrepancies.length > 0) {
      console.log(`inventory inconsistent: ${discrepancies.length} of ${levelsChecked} levels disagree`);
      return EXIT_DISCREPANCY;
    }
    console.log(`inventory consistent: ${levelsChecked} levels checked`);
    return EXIT_CONSISTENT;
  } catch (err) {
    console.error(`cannot check the inventory: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_CANNOT_CHECK;
  } finally {
    await database.close().catch(() => {});
  }
}

main().then((code) => {
  process.exitCode = code;
});
