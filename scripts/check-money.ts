/**
 * `npm run check:money`: audits the money over DATABASE_URL. For every order, what the sandbox
 * payment provider holds must equal what `payments` and `refunds` say is kept, and agree with the
 * order's status (db/audit.ts findMoneyDiscrepancies). Prints each discrepancy and exits 1 when
 * there is one; exits 2 when it cannot run (no DATABASE_URL, no database).
 */
import { auditMoney, describeMoneyDiscrepancy } from '../db/audit';
import { runAuditScript } from './audit-script';

runAuditScript({
  subject: 'money',
  command: 'check:money',
  unit: 'orders',
  audit: auditMoney,
  describe: describeMoneyDiscrepancy,
});
