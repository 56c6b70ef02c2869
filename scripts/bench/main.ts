// `npm run bench`: placing orders over HTTP against the engine's and the database's ceilings,
// measured the same way in one run, then a flash sale, a mixed run with its invariants checked,
// and the outbox relay (scripts/bench-outbox.ts). Prints a table, writes docs/bench/results.json
// and docs/bench/chart.svg, and exits non-zero when an invariant was broken (a missed speed
// target is reported, not a failure).
//
//   BENCH_QUICK=1 (or --quick)  short passes, a smaller flash sale, a short relay run; results go
//                               to .data/bench-quick/ unless BENCH_OUT says otherwise
//   BENCH_URL                   bench that API instead of starting a stack (BENCH_ADMIN_KEY,
//                               BENCH_CUSTOMER_KEYS=key=customerId,...); ceilings are skipped
//   BENCH_OUT                   where results.json and chart.svg go (default docs/bench)
//   BENCH_LOG_LEVEL             the stack's LOG_LEVEL (default warn: the launcher relays every line)
//   BENCH_SKIP_OUTBOX=1         leave the relay bench out
//   BENCH_KEEP_LOGS=1           keep the stack's logs and state (the folder is printed)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { randomCart, seedCatalog, FLASH_UNITS, WAREHOUSE, type BenchCatalog } from './catalog';
import { connectEmptySagas, connectStockUpdates, type EmptySagaKind } from './ceilings';
import { concurrencyChart, type ChartSeries } from './chart';
import { cpuNow, cpuPerCall, cpuTotal, type CpuByRole } from './cpu';
import { percentile, tenths } from './figures';
import { burst, closedLoop, openLoop, type Call, type LoadResult } from './load';
import { resultsMarkdown } from './markdown';
import { mixedRun, type MixedRunReport } from './mixed-run';
import { createShopClient, labelOf, wireCounts, type ShopClient, type Shopper } from './shop-client';
import { CEILING_TASK_QUEUE, startBenchStack, type BenchStack } from './stack';
import { PASS, targetsOf, type PassRow, type Target } from './targets';

const ROOT = resolve(__dirname, '..', '..');
const QUICK = process.env.BENCH_QUICK === '1' || process.argv.includes('--quick');
const OUT_DIR = resolve(process.env.BENCH_OUT ?? (QUICK ? join(ROOT, '.data', 'bench-quick') : join(ROOT, 'docs', 'bench')));
const CONCURRENCY = [1, 10, 50];
const SETTINGS = QUICK
  ? { warmupMs: 1_000, durationMs: 4_000, dbDurationMs: 2_000, burstClients: 300, mixedClients: 8, mixedMs: 6_000 }
  : { warmupMs: 2_000, durationMs: 10_000, dbDurationMs: 5_000, burstClients: 1_000, mixedClients: 20, mixedMs: 20_000 };
/** Lets the relay and the worker settle between passes, so one pass's tail does not load the next. */
const PAUSE_MS = 2_000;

function uptime(): string {
  try {
    return execFileSync('uptime', { encoding: 'utf8' }).trim();
  } catch {
    return `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
  }
}

function log(line: string): void {
  console.log(`[bench] ${line}`);
}

function row(pass: string, clients: number, result: LoadResult, cpuMsPerCall?: CpuByRole): PassRow {
  const r = { pass, clients, ...result.figures, answers: result.outcomes, ...(cpuMsPerCall ? { cpuMsPerCall } : {}) };
  const cpu = cpuMsPerCall ? `, CPU ${cpuTotal(cpuMsPerCall)} ms a call ${JSON.stringify(cpuMsPerCall)}` : '';
  log(`${pass} @ ${clients}: ${r.perSecond}/s, p50 ${r.p50Ms} ms, p99 ${r.p99Ms} ms, answers ${JSON.stringify(r.answers)}${cpu}`);
  return r;
}

/** A closed-loop pass with the CPU each process spent per call in its measured window. */
async function measuredPass(pass: string, clients: number, options: Omit<Parameters<typeof closedLoop>[0], 'clients' | 'onWindow'>): Promise<PassRow> {
  let before: CpuByRole = {};
  let after: CpuByRole = {};
  const result = await closedLoop({
    clients,
    ...options,
    onWindow: (edge) => (edge === 'opened' ? (before = cpuNow()) : (after = cpuNow())),
  });
  return row(pass, clients, result, cpuPerCall(before, after, result.figures.count));
}

function placementCall(shop: ShopClient, shoppers: Shopper[], skus: readonly string[]): Call {
  return async (client) => labelOf(await shop.placeOrder(shoppers[client % shoppers.length]!, randomCart(skus, 3, 2)));
}

/** The closed-loop passes at each concurrency: the service, then its ceilings right after it. */
async function concurrencyPasses(stack: BenchStack, shop: ShopClient, catalog: BenchCatalog): Promise<PassRow[]> {
  const rows: PassRow[] = [];
  const sagas = stack.direct ? await connectEmptySagas(stack.direct.temporalAddress, CEILING_TASK_QUEUE) : undefined;
  const updates = stack.direct ? await connectStockUpdates(stack.direct.databaseUrl, catalog.spread.length, Math.max(...CONCURRENCY)) : undefined;
  const timing = { warmupMs: SETTINGS.warmupMs, durationMs: SETTINGS.durationMs };
  try {
    for (const clients of CONCURRENCY) {
      rows.push(await measuredPass(PASS.service, clients, { ...timing, call: placementCall(shop, stack.shoppers, catalog.spread) }));
      stack.assertRunning();
      if (sagas) {
        for (const [kind, name] of [['regular', PASS.regular], ['local', PASS.local]] as Array<[EmptySagaKind, string]>) {
          await sleep(PAUSE_MS);
          rows.push(await measuredPass(name, clients, { ...timing, call: sagas.call(kind) }));
        }
      }
      if (updates) {
        rows.push(row(PASS.database, clients, await closedLoop({ clients, warmupMs: 500, durationMs: SETTINGS.dbDurationMs, call: updates.call(false) })));
      }
      if (updates && clients === Math.max(...CONCURRENCY)) {
        rows.push(row(`${PASS.database}, one hot row`, clients, await closedLoop({ clients, warmupMs: 500, durationMs: SETTINGS.dbDurationMs, call: updates.call(true) })));
      }
      await sleep(PAUSE_MS);
    }
  } finally {
    await sagas?.close();
    await updates?.close();
  }
  return rows;
}

interface BurstReport {
  clients: number;
  /** Calls repeated with their key after a 503 (the API's 30 s bound on a placement ran out). */
  retriedAfter503: number;
  answers: Record<string, number>;
  elapsedS: number;
  placementsPerSecond: number;
  /** The flash sale: sales per second until the last unit was sold. */
  acceptedPerSecond?: number;
  /**
   * The spread burst: its first FLASH_UNITS placements per second, until the FLASH_UNITS-th
   * answered. What the flash sale's sales are held against: as many answers of a burst as large.
   */
  firstPlacementsPerSecond?: number;
  refusalP50Ms?: number;
  refusalP99Ms?: number;
  acceptedP99Ms?: number;
  level?: { onHand: number; reserved: number };
}

function burstReport(result: LoadResult, retriedBefore: number): BurstReport {
  return {
    clients: result.figures.count,
    retriedAfter503: wireCounts.retriedAfter503 - retriedBefore,
    answers: result.outcomes,
    elapsedS: tenths(result.samples.reduce((m, s) => Math.max(m, s.endMs), 0) / 1000),
    placementsPerSecond: result.figures.perSecond,
  };
}

/** 1,000 shoppers at once for one product of 100 units, after the same 1,000 spread over the catalogue. */
async function flashSale(shop: ShopClient, shoppers: Shopper[], catalog: BenchCatalog, violations: string[]) {
  const one = (productId: () => string): Call => async (client) =>
    labelOf(await shop.placeOrder(shoppers[client % shoppers.length]!, [{ productId: productId(), quantity: 1 }]));
  let retriedBefore = wireCounts.retriedAfter503;
  const spreadResult = await burst({ clients: SETTINGS.burstClients, call: one(() => catalog.spread[Math.floor(Math.random() * catalog.spread.length)]!) });
  const spread = burstReport(spreadResult, retriedBefore);
  const spreadPlaced = spreadResult.samples.filter((s) => s.outcome === '201').map((s) => s.endMs).sort((a, b) => a - b);
  const hundredth = spreadPlaced[FLASH_UNITS - 1];
  spread.firstPlacementsPerSecond = hundredth ? tenths((FLASH_UNITS * 1000) / hundredth) : 0;
  log(`spread burst of ${spread.clients}: ${spread.placementsPerSecond}/s, its first ${FLASH_UNITS} at ${spread.firstPlacementsPerSecond}/s, answers ${JSON.stringify(spread.answers)}`);
  await sleep(PAUSE_MS * 2);

  retriedBefore = wireCounts.retriedAfter503;
  const hotResult = await burst({ clients: SETTINGS.burstClients, call: one(() => catalog.flash) });
  const hot = burstReport(hotResult, retriedBefore);
  const accepted = hotResult.samples.filter((s) => s.outcome === '201').sort((a, b) => a.endMs - b.endMs);
  const refusals = hotResult.samples.filter((s) => s.outcome === '409 INSUFFICIENT_INVENTORY').map((s) => s.latencyMs).sort((a, b) => a - b);
  const lastSale = accepted.at(-1)?.endMs ?? 0;
  hot.acceptedPerSecond = lastSale > 0 ? tenths((accepted.length * 1000) / lastSale) : 0;
  hot.refusalP50Ms = tenths(percentile(refusals, 50));
  hot.refusalP99Ms = tenths(percentile(refusals, 99));
  hot.acceptedP99Ms = tenths(percentile(accepted.map((s) => s.latencyMs), 99));
  const level = await shop.getLevel(catalog.flash, WAREHOUSE);
  hot.level = { onHand: Number(level.data?.onHand), reserved: Number(level.data?.reserved) };
  log(`flash sale of ${hot.clients} for ${FLASH_UNITS}: ${hot.acceptedPerSecond} sales/s, refusals p99 ${hot.refusalP99Ms} ms, answers ${JSON.stringify(hot.answers)}, level ${JSON.stringify(hot.level)}`);

  const refused = SETTINGS.burstClients - FLASH_UNITS;
  if (accepted.length !== FLASH_UNITS) violations.push(`flash sale: ${accepted.length} placements accepted, not ${FLASH_UNITS}`);
  if (refusals.length !== refused) violations.push(`flash sale: ${refusals.length} refused with 409 INSUFFICIENT_INVENTORY, not ${refused}`);
  if (hot.level.reserved !== FLASH_UNITS || hot.level.onHand !== FLASH_UNITS) {
    violations.push(`flash sale: the level holds ${hot.level.reserved} reserved of ${hot.level.onHand} on hand, not ${FLASH_UNITS} of ${FLASH_UNITS}`);
  }
  if ((spread.answers['201'] ?? 0) !== SETTINGS.burstClients) violations.push(`spread burst: answers ${JSON.stringify(spread.answers)}, not all 201`);
  return { spread, hot };
}

/** scripts/bench-outbox.ts as a child, after the stack has stopped; its figures come back as JSON. */
function outboxBench(): Record<string, string | number> | { skipped: string } {
  if (process.env.BENCH_SKIP_OUTBOX === '1') return { skipped: 'BENCH_SKIP_OUTBOX=1' };
  const file = join(tmpdir(), `bench-outbox-${randomBytes(4).toString('hex')}.json`);
  const env = { ...process.env, BENCH_OUTBOX_JSON: file, ...(QUICK ? { BENCH_EVENTS: process.env.BENCH_EVENTS ?? '2000', BENCH_OUTAGE_S: process.env.BENCH_OUTAGE_S ?? '2' } : {}) };
  log('the outbox relay (scripts/bench-outbox.ts)');
  const run = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'bench-outbox.ts')], { cwd: ROOT, env, stdio: ['ignore', 'inherit', 'inherit'] });
  try {
    if (run.status !== 0) return { skipped: `bench-outbox exited with ${run.status ?? run.signal}` };
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, string | number>;
  } finally {
    rmSync(file, { force: true });
  }
}

function chartOf(rows: PassRow[], subtitle: string): string {
  const colours: Record<string, string> = { [PASS.service]: '#d62728', [PASS.regular]: '#1f77b4', [PASS.local]: '#2ca02c', [PASS.database]: '#7f7f7f' };
  const seriesOf = (value: (r: PassRow) => number): ChartSeries[] =>
    Object.entries(colours)
      .map(([name, colour]) => ({ name, colour, points: rows.filter((r) => r.pass === name).map((r): [number, number] => [r.clients, value(r)]) }))
      .filter((s) => s.points.length > 0);
  return concurrencyChart({ subtitle, throughput: seriesOf((r) => r.perSecond), p99: seriesOf((r) => r.p99Ms) });
}

function printTables(rows: PassRow[], halfPeak: PassRow | undefined, flash: { spread: BurstReport; hot: BurstReport }, mixed: MixedRunReport, targets: Target[]): void {
  const passes = [...rows, ...(halfPeak ? [halfPeak] : [])].map((r) => ({
    pass: r.pass,
    clients: r.clients || 'open loop',
    'calls/s': r.perSecond,
    'p50 ms': r.p50Ms,
    'p95 ms': r.p95Ms,
    'p99 ms': r.p99Ms,
    answers: Object.entries(r.answers).map(([a, n]) => `${a}×${n}`).join(' '),
  }));
  console.table(passes);
  console.table({
    [`spread burst (${flash.spread.clients} clients, many SKUs)`]: {
      'placements/s': flash.spread.placementsPerSecond,
      [`first ${FLASH_UNITS}/s`]: flash.spread.firstPlacementsPerSecond,
      'elapsed s': flash.spread.elapsedS,
      'retried 503s': flash.spread.retriedAfter503,
      answers: JSON.stringify(flash.spread.answers),
    },
    [`flash sale (${flash.hot.clients} clients, ${FLASH_UNITS} units)`]: {
      'placements/s': flash.hot.placementsPerSecond,
      'accepted/s': flash.hot.acceptedPerSecond,
      'refusal p50/p99 ms': `${flash.hot.refusalP50Ms} / ${flash.hot.refusalP99Ms}`,
      'elapsed s': flash.hot.elapsedS,
      'retried 503s': flash.hot.retriedAfter503,
      answers: JSON.stringify(flash.hot.answers),
    },
  });
  console.table({ mixed: { placed: mixed.placed, refused: mixed.refused, ends: JSON.stringify(mixed.endStatuses), violations: mixed.violations.length } });
  console.table(targets.map((t) => ({ target: t.target, measured: t.measured, ratio: t.ratio, limit: t.limit, result: t.met ? 'met' : 'MISSED' })));
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const loadBefore = uptime();
  log(`${QUICK ? 'quick' : 'full'} run at ${startedAt.toISOString()}; ${loadBefore}`);
  const stack = await startBenchStack(process.env.BENCH_LOG_LEVEL ?? 'warn');
  // Ctrl-C: the children would stop with their guards anyway; this also drops the bench's database.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void stack.stop().finally(() => process.exit(130)));
  }
  const violations: string[] = [];
  let report: Record<string, unknown>;
  let flash: { spread: BurstReport; hot: BurstReport };
  let mixed: MixedRunReport;
  let halfPeak: PassRow | undefined;
  let targets: Target[];
  let rows: PassRow[];
  try {
    log(`stack: ${stack.description}`);
    const shop = createShopClient(stack.api, stack.adminKey);
    const catalog = await seedCatalog(shop, stack.shoppers, randomBytes(3).toString('hex'));
    log(`seeded ${catalog.spread.length + catalog.mixed.length + 1} products`);

    rows = await concurrencyPasses(stack, shop, catalog);
    const peak = Math.max(...rows.filter((r) => r.pass === PASS.service).map((r) => r.perSecond));
    const halfRate = tenths(peak / 2);
    // The database passes leave autovacuum and the relay busy for a moment.
    await sleep(PAUSE_MS * 2);
    halfPeak = halfRate > 0
      ? row(`${PASS.service}, open loop at half the peak`, 0, await openLoop({ ratePerSecond: halfRate, durationMs: SETTINGS.durationMs * 1.5, call: placementCall(shop, stack.shoppers, catalog.spread) }))
      : undefined;
    await sleep(PAUSE_MS);
    flash = await flashSale(shop, stack.shoppers, catalog, violations);
    await sleep(PAUSE_MS);

    log('mixed run: place, pay, cancel, decline, let expire');
    const mixedShop = stack.direct ? createShopClient(stack.direct.shortTtlApi, stack.adminKey) : shop;
    mixed = await mixedRun({ shop: mixedShop, shoppers: stack.shoppers, catalog, clients: SETTINGS.mixedClients, durationMs: SETTINGS.mixedMs, direct: stack.direct });
    violations.push(...mixed.violations);
    stack.assertRunning();
    for (const r of [...rows.filter((r) => r.pass === PASS.service), ...(halfPeak ? [halfPeak] : [])]) {
      const unexpected = Object.keys(r.answers).filter((a) => a !== '201');
      if (unexpected.length) violations.push(`${r.pass} @ ${r.clients}: answers other than 201: ${JSON.stringify(r.answers)}`);
    }
    targets = targetsOf(rows, halfPeak, {
      sales: FLASH_UNITS,
      acceptedPerSecond: flash.hot.acceptedPerSecond ?? 0,
      spreadFirstPerSecond: flash.spread.firstPlacementsPerSecond ?? 0,
      spreadPerSecond: flash.spread.placementsPerSecond,
    });
    printTables(rows, halfPeak, flash, mixed, targets);
    report = {
      passes: rows,
      halfPeak: halfPeak ? { offeredPerSecond: halfRate, ...halfPeak } : undefined,
      flashSale: flash.hot,
      spreadBurst: flash.spread,
      mixed,
      wire: { ...wireCounts },
    };
  } finally {
    await stack.stop();
  }
  const relay = outboxBench();
  const loadAfter = uptime();
  const results = {
    run: {
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      quick: QUICK,
      uptimeBefore: loadBefore,
      uptimeAfter: loadAfter,
      cpus: cpus().length,
      node: process.version,
      stack: stack.description.replace(/; logs in .*$/, ''),
      settings: SETTINGS,
    },
    ...report,
    outboxRelay: relay,
    targets,
    violations,
  };
  mkdirSync(OUT_DIR, { recursive: true });
  writeFileSync(join(OUT_DIR, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  const subtitle = `${startedAt.toISOString().slice(0, 16)}Z, ${cpus().length} cores, ${loadBefore.replace(/^.*load average/, 'load average')}${QUICK ? ' (quick run)' : ''}`;
  writeFileSync(join(OUT_DIR, 'chart.svg'), chartOf(rows, subtitle));
  const markdown = resultsMarkdown({
    when: startedAt.toISOString().slice(0, 16).replace('T', ' ') + ' UTC',
    load: `${cpus().length} cores; before: ${loadBefore.replace(/^.*load average/, 'load average')}; after: ${loadAfter.replace(/^.*load average/, 'load average')}`,
    rows,
    halfPeak,
    bursts: [
      { name: `spread: ${flash.spread.clients} clients, many SKUs`, ...flash.spread },
      { name: `flash sale: ${flash.hot.clients} clients, one SKU of ${FLASH_UNITS}`, ...flash.hot },
    ],
    mixed,
    relay: 'skipped' in relay ? { skipped: relay.skipped } : relay,
    targets,
  });
  writeFileSync(join(OUT_DIR, 'results.md'), markdown);
  log(`wrote results.json, results.md and chart.svg to ${OUT_DIR}; ${loadAfter}`);
  if (violations.length) {
    console.error(`[bench] ${violations.length} invariant violation(s):\n  ${violations.join('\n  ')}`);
    process.exitCode = 1;
  } else {
    log(`invariants held; targets met: ${targets.filter((t) => t.met).length} of ${targets.length}`);
  }
}

main().catch((err: unknown) => {
  console.error('[bench] failed:', err);
  process.exitCode = 1;
});
