import type { AuditResult } from '../db/audit';
import { openDatabase, type Db } from '../db/client';

const EXIT_CONSISTENT = 0;
const EXIT_DISCREPANCY = 1;
const EXIT_CANNOT_CHECK = 2;

export interface AuditScript<D> {
  /** What is audited, for the messages: `inventory`, `money`. */
  subject: string;
  /** The npm script, for the usage line. */
  command: string;
  /** What is counted, plural: `levels`, `orders`. */
  unit: string;
  audit(db: Db): Promise<AuditResult<D>>;
  describe(discrepancy: D): string;
}

/**
 * Runs one audit over DATABASE_URL the way an operator calls it: prints each discrepancy and a
 * summary, and sets the exit code: 0 consistent, 1 a discrepancy, 2 cannot check (no
 * DATABASE_URL, no database).
 */
export function runAuditScript<D>(script: AuditScript<D>): void {
  run(script).then((code) => {
    process.exitCode = code;
  });
}

async function run<D>({ subject, command, unit, audit, describe }: AuditScript<D>): Promise<number> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    console.error(`usage: DATABASE_URL=postgres://... npm run ${command}`);
    return EXIT_CANNOT_CHECK;
  }
  const database = openDatabase(url, { max: 1 });
  try {
    const { checked, discrepancies } = await audit(database.db);
    for (const discrepancy of discrepancies) console.log(describe(discrepancy));
    if (discrepancies.length > 0) {
      console.log(`${subject} inconsistent: ${discrepancies.length} of ${checked} ${unit} disagree`);
      return EXIT_DISCREPANCY;
    }
    console.log(`${subject} consistent: ${checked} ${unit} checked`);
    return EXIT_CONSISTENT;
  } catch (err) {
    console.error(`cannot check the ${subject}: ${err instanceof Error ? err.message : String(err)}`);
    return EXIT_CANNOT_CHECK;
  } finally {
    await database.close().catch(() => {});
  }
}
