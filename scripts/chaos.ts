// `npm run chaos`: the service under crashes. Starts PostgreSQL, the Temporal dev server, the
// worker and the API as separate processes of its own (state in a temporary directory, so a
// kill -9 loses only what a real crash loses); for CHAOS_DURATION shoppers place, pay, get
// declined, cancel, race a pay against a cancel, have orders delivered and sent back, and let
// orders expire, retrying what got no definitive answer with its Idempotency-Key, while faults
// kill -9 the worker, the Temporal server and the API and crash PostgreSQL; a supervisor
// restarts whatever died. Then, with every
// process up and no faults: every saga must settle, every shopper's answers must match its
// order's end, stock and money must agree (ledger, levels, provider). Prints the faults survived
// and exits 1 on any violation. Ctrl-C stops everything and removes the temporary directory.
//
// CHAOS_DURATION (default 120s), CHAOS_SHOPPERS (4), CHAOS_RESERVATION_TTL (8s),
// CHAOS_FAULT_GAP (4s-10s between a recovery and the next fault), CHAOS_SETTLE_TIMEOUT (180s),
// CHAOS_KEEP=1 keeps the directory (logs, data) and prints where it is.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openDatabase, type Database } from '../db/client';
import { parseDuration } from '../domain/duration';
import { allReady, emptyTally, FAULTS, runFaults, type FaultTally } from './chaos/faults';
import { replayAnswers, runShopper, type ShopperFindings, type ShopperOptions } from './chaos/shoppers';
import { ADMIN_KEY, shopperId, startChaosStack, type ChaosStack } from './chaos/stack';
import { checkAnswers, checkMoney, checkStock, endStatuses, waitUntilSettled, type StockedLevel } from './chaos/verdict';

/** A duration such as `90s` or `2m`; a bare number is seconds (CHAOS_DURATION=60). */
const durationOf = (text: string) => parseDuration(/^\d+$/.test(text.trim()) ? `${text.trim()}s` : text);
const DURATION_MS = durationOf(process.env.CHAOS_DURATION ?? '120s');
const SHOPPERS = Number(process.env.CHAOS_SHOPPERS ?? 4);
const RESERVATION_TTL = process.env.CHAOS_RESERVATION_TTL ?? '8s';
const [GAP_MIN_MS, GAP_MAX_MS] = (process.env.CHAOS_FAULT_GAP ?? '4s-10s').split('-').map(durationOf) as [number, number];
const SETTLE_TIMEOUT_MS = durationOf(process.env.CHAOS_SETTLE_TIMEOUT ?? '180s');
const KEEP = process.env.CHAOS_KEEP === '1';
const START_TIMEOUT_MS = 180_000;
const RECOVERY_TIMEOUT_MS = 120_000;
/** A request without a definitive answer is retried this long; past the faults, everything is up again. */
const RETRY_BUDGET_MS = 120_000;

const VOUCHER = 'CHAOS10';
/** One scarce product that sells out (refusals, a hot row) and one in two warehouses (split lines). */
const STOCK: StockedLevel[] = [
  { productId: 'chaos-scarce', warehouseId: 'wh-chaos-east', onHand: 15 },
  { productId: 'chaos-mug', warehouseId: 'wh-chaos-east', onHand: 30 },
  { productId: 'chaos-mug', warehouseId: 'wh-chaos-west', onHand: 100_000 },
];

const started = Date.now();
const note = (line: string) => console.log(`[chaos +${((Date.now() - started) / 1000).toFixed(1)}s] ${line}`);

let stack: ChaosStack | undefined;
let dir: string | undefined;
let cleaningUp: Promise<void> | undefined;

/** Kills every process the run started and removes its directory; safe to call twice. */
function cleanUp(): Promise<void> {
  cleaningUp ??= (async () => {
    await stack?.stop();
    if (dir && !KEEP) rmSync(dir, { recursive: true, force: true });
    else if (dir) note(`kept ${dir} (logs in ${join(dir, 'logs')})`);
  })();
  return cleaningUp;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    note(`${signal}: stopping every process of the run`);
    cleanUp().then(
      () => process.exit(130),
      (err: unknown) => {
        console.error(`clean-up failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  });
}

async function admin(apiUrl: string, method: string, path: string, body: unknown): Promise<void> {
  const response = await fetch(`${apiUrl}${path}`, {
    method,
    headers: { 'X-API-Key': ADMIN_KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${await response.text()}`);
}

async function seedCatalog(apiUrl: string): Promise<void> {
  await admin(apiUrl, 'PUT', '/warehouses/wh-chaos-east', { name: 'East', priority: 1 });
  await admin(apiUrl, 'PUT', '/warehouses/wh-chaos-west', { name: 'West', priority: 2 });
  await admin(apiUrl, 'PUT', '/products/chaos-scarce', { name: 'Scarce lamp', price: 4_999, currency: 'USD' });
  await admin(apiUrl, 'PUT', '/products/chaos-mug', { name: 'Mug', price: 1_250, currency: 'USD' });
  for (const level of STOCK) {
    await admin(apiUrl, 'PUT', `/inventory/${level.productId}/${level.warehouseId}`, { onHand: level.onHand, lowStockThreshold: 5 });
  }
  await admin(apiUrl, 'PUT', `/vouchers/${VOUCHER}`, { kind: 'percent', value: 10 });
  for (let shopper = 1; shopper <= SHOPPERS; shopper++) {
    await admin(apiUrl, 'PUT', `/customers/${shopperId(shopper)}`, { email: `${shopperId(shopper)}@example.com`, status: 'active' });
  }
}

/** What the run did: orders by end status, answers by code, retries, restarts, faults. */
async function printSummary(database: Database, findings: ShopperFindings, tally: FaultTally, running: ChaosStack): Promise<void> {
  const answers = new Map<string, number>();
  for (const answer of findings.journals.flatMap((journal) => journal.answers)) {
    const key = `${answer.action} ${answer.status === 0 ? 'no answer' : answer.status}${answer.code ? ` ${answer.code}` : ''}`;
    answers.set(key, (answers.get(key) ?? 0) + 1);
  }
  console.log(`\norders by end status: ${JSON.stringify(await endStatuses(database))}`);
  console.log(`answers (after retries): ${JSON.stringify(Object.fromEntries([...answers].sort()))}`);
  console.log(`retried requests: ${findings.journals.flatMap((j) => j.answers).filter((a) => a.attempts > 1).length}`);
  console.log(`restarts by the supervisor: ${running.all().map((s) => `${s.spec.name} ${s.restarts}`).join(', ')}`);
  console.log('\nfaults injected / survived:');
  for (const fault of FAULTS) console.log(`  ${fault.padEnd(24)} ${tally.injected[fault]} / ${tally.survived[fault]}`);
  const total = (counts: Record<string, number>) => Object.values(counts).reduce((sum, n) => sum + n, 0);
  console.log(`  ${'all'.padEnd(24)} ${total(tally.injected)} / ${total(tally.survived)}`);
}

async function main(): Promise<number> {
  dir = mkdtempSync(join(tmpdir(), 'chaos-'));
  // As root, PostgreSQL runs as the postgres user, which must be able to enter the directory.
  chmodSync(dir, 0o755);
  note(`starting PostgreSQL, Temporal, the worker and the API under ${dir}`);
  stack = await startChaosStack({ dir, shoppers: SHOPPERS, env: { RESERVATION_TTL }, note });
  stack.postgres.start();
  stack.temporal.start();
  if (!(await stack.postgres.waitReady(START_TIMEOUT_MS)) || !(await stack.temporal.waitReady(START_TIMEOUT_MS))) {
    throw new Error('PostgreSQL or Temporal did not start');
  }
  stack.worker.start();
  stack.api.start();
  if (!(await allReady(stack, START_TIMEOUT_MS))) throw new Error('the worker or the API did not start');
  await seedCatalog(stack.apiUrl);
  note(`stack up (API ${stack.apiUrl}); ${SHOPPERS} shoppers and faults for ${DURATION_MS / 1000}s, reservations held ${RESERVATION_TTL}`);

  const until = Date.now() + DURATION_MS;
  const findings: ShopperFindings = { journals: [], serverErrors: [] };
  const tally = emptyTally();
  const shopperOptions: ShopperOptions = {
    apiUrl: stack.apiUrl,
    until,
    retryBudgetMs: RETRY_BUDGET_MS,
    catalog: [{ productId: 'chaos-scarce' }, { productId: 'chaos-mug' }, { productId: 'chaos-mug', warehouseId: 'wh-chaos-west' }],
    voucherCode: VOUCHER,
  };
  const shopping = Array.from({ length: SHOPPERS }, (_, i) => runShopper(i + 1, shopperOptions, findings));
  await runFaults(stack, { until, gapMs: { min: GAP_MIN_MS, max: GAP_MAX_MS }, recoveryTimeoutMs: RECOVERY_TIMEOUT_MS, note }, tally);
  note('faults over; waiting for every process to serve and the shoppers to finish what they started');
  const up = await allReady(stack, RECOVERY_TIMEOUT_MS);
  await Promise.all(shopping);
  const violations: string[] = [...tally.notBack, ...findings.serverErrors.map((line) => `a 5xx other than 503: ${line}`)];
  if (!up) violations.push('the stack did not serve again after the faults stopped');
  const answerCount = findings.journals.flatMap((journal) => journal.answers.filter((answer) => answer.definitive)).length;
  note(`${findings.journals.length} orders attempted; asking again for each of the ${answerCount} definitive answers`);
  violations.push(...(await replayAnswers(shopperOptions, findings.journals)));
  note('waiting for every saga to settle');
  const database = openDatabase(stack.databaseUrl, { max: 2 });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const temporal = new Client({ connection });
    violations.push(...(await waitUntilSettled(database, temporal, SETTLE_TIMEOUT_MS)));
    violations.push(...(await checkAnswers(database, findings.journals)));
    violations.push(...(await checkStock(database, STOCK)));
    violations.push(...(await checkMoney(database)));
    await printSummary(database, findings, tally, stack);
  } finally {
    await connection.close();
    await database.close();
  }

  if (violations.length > 0) {
    console.log(`\nCHAOS FAILED: ${violations.length} violation(s)`);
    for (const violation of violations) console.log(`  - ${violation}`);
    for (const service of [stack.worker, stack.api]) {
      console.log(`\nthe ${service.spec.name}'s last warnings and errors:`);
      for (const line of service.lastWarnings(15)) console.log(`  ${line.slice(0, 600)}`);
    }
    return 1;
  }
  console.log('\nCHAOS PASSED: every saga settled, every answer matches its order, stock and money agree');
  return 0;
}

main()
  .then(
    (code) => code,
    (err: unknown) => {
      console.error(`chaos run could not complete: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      return 2;
    },
  )
  .then(async (code) => {
    await cleanUp();
    process.exit(code);
  });
