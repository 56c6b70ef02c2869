/**
 * `npm run check:inventory`: audits the stock over DATABASE_URL. Every level must equal the sums
 * of its ledger rows, and its `reserved` what its active reservations hold. Prints each
 * discrepancy and exits 1 when there is one; exits 2 when it cannot run (no DATABASE_URL, no
 * database).
 */
import { auditInventory, describeInventoryDiscrepancy } from '../db/audit';
import { runAuditScript } from './audit-script';

runAuditScript({
  subject: 'inventory',
  command: 'check:inventory',
  unit: 'levels',
  audit: auditInventory,
  describe: describeInventoryDiscrepancy,
});
