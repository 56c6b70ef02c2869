// The stack the bench measures: `npm start`'s own launcher (scripts/dev-stack.ts) run as a child
// on free ports with its state in a temporary folder, so the bench measures exactly what
// `npm start` runs (the dev server's flags, the worker's settings, the relay); or, with BENCH_URL,
// somebody else's API. Beside it, with direct access: a second API process with a short
// RESERVATION_TTL for the mixed run, and the ceilings' worker (scripts/bench/ceiling-worker.ts).
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { freePort } from '../../test/support/ports';
import { CEILING_WORKER_READY } from './empty-saga';
import { createShopClient, type Shopper } from './shop-client';

const ROOT = resolve(__dirname, '..', '..');
const GUARD = join(ROOT, 'scripts', 'child-guard.mjs');
const STOP_GRACE_MS = 15_000;
const START_TIMEOUT_MS = 180_000;
/** Customers the bench's clients take turns as: enough that no one customer is a hot row. */
const SHOPPER_COUNT = 50;
export const CEILING_TASK_QUEUE = 'bench-empty-saga';
const SHORT_TTL_MS = Number(process.env.BENCH_SHORT_TTL_MS ?? 10_000);

/** What the bench can reach beyond the API when it started the stack itself. */
export interface DirectAccess {
  databaseUrl: string;
  temporalAddress: string;
  /** A second API on the same database and Temporal whose orders expire after `shortTtlMs`. */
  shortTtlApi: string;
  shortTtlMs: number;
}

export interface BenchStack {
  api: string;
  adminKey: string;
  shoppers: Shopper[];
  direct?: DirectAccess;
  /** One line for the report: what ran where. */
  description: string;
  /** Throws if a process of the stack died. */
  assertRunning(): void;
  stop(): Promise<void>;
}

/** A child under scripts/child-guard.mjs (it dies with the bench, even on SIGKILL), output to a log file. */
interface Guarded {
  name: string;
  child: ChildProcess;
  exited: boolean;
  logFile: string;
}

function startGuarded(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, logDir: string): Guarded {
  const logFile = join(logDir, `${name}.log`);
  const fd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [GUARD, String(STOP_GRACE_MS), command, ...args], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['pipe', fd, fd],
  });
  closeSync(fd);
  const guarded: Guarded = { name, child, exited: false, logFile };
  child.once('exit', () => (guarded.exited = true));
  return guarded;
}

function tsxArgs(entry: string, args: string[] = []): string[] {
  return ['--import', 'tsx', join(ROOT, entry), ...args];
}

/** SIGTERM to the guard's group, SIGKILL once the grace period is over. */
async function stopGuarded(process_: Guarded): Promise<void> {
  const pid = process_.child.pid;
  if (pid === undefined || process_.exited) return;
  const signal = (name: NodeJS.Signals) => {
    try {
      process.kill(-pid, name);
    } catch {
      // The group is gone.
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS + 2_000;
  while (!process_.exited && Date.now() < deadline) await sleep(100);
  if (!process_.exited) signal('SIGKILL');
}

function tailOf(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor(what: string, processes: Guarded[], check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    const dead = processes.find((p) => p.exited);
    if (dead) throw new Error(`${dead.name} exited while waiting for ${what}; its log ends:\n${tailOf(dead.logFile)}`);
    if (await check()) return;
    await sleep(500);
  }
  throw new Error(`${what} did not happen within ${START_TIMEOUT_MS / 1000}s`);
}

/** A port p free together with p + 1000 (the dev server's Web UI). */
async function freeTemporalPort(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 > 65535) continue;
    const ui = await new Promise<boolean>((resolveFree) => {
      const server = createServer();
      server.once('error', () => resolveFree(false));
      server.listen(port + 1000, '127.0.0.1', () => server.close(() => resolveFree(true)));
    });
    if (ui) return port;
  }
}

function shoppersWithKeys(): { shoppers: Shopper[]; apiKeys: string; adminKey: string } {
  const adminKey = `bench-admin-${randomBytes(8).toString('hex')}`;
  const shoppers = Array.from({ length: SHOPPER_COUNT }, (_, i) => ({
    key: `bench-shopper-${i}-${randomBytes(8).toString('hex')}`,
    customerId: `bench-customer-${String(i).padStart(2, '0')}`,
  }));
  const apiKeys = [`${adminKey}=admin`, ...shoppers.map((s) => `${s.key}=customer:${s.customerId}`)].join(',');
  return { shoppers, apiKeys, adminKey };
}

/** BENCH_URL: somebody else's API; BENCH_ADMIN_KEY, and BENCH_CUSTOMER_KEYS (`key=customerId,...`) or the admin placing for customers. */
function remoteStack(url: string): BenchStack {
  const adminKey = process.env.BENCH_ADMIN_KEY ?? 'dev-admin-key';
  const listed = (process.env.BENCH_CUSTOMER_KEYS ?? '')
    .split(',')
    .map((entry) => entry.trim().split('='))
    .filter((parts): parts is [string, string] => parts.length === 2 && parts.every(Boolean))
    .map(([key, customerId]) => ({ key, customerId }));
  const tag = randomBytes(3).toString('hex');
  const shoppers = listed.length
    ? listed
    : Array.from({ length: SHOPPER_COUNT }, (_, i) => ({ key: adminKey, customerId: `bench-${tag}-customer-${i}` }));
  return {
    api: url.replace(/\/$/, ''),
    adminKey,
    shoppers,
    description: `the API at ${url} (BENCH_URL); ceilings, expiry and the ledger audit need direct access and are skipped`,
    assertRunning: () => {},
    stop: async () => {},
  };
}

/** A fresh database on DATABASE_URL's server, dropped at the end; undefined means the launcher's embedded one. */
async function freshDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  const configured = process.env.DATABASE_URL;
  if (!configured) return undefined;
  const name = `order_saga_bench_${randomBytes(4).toString('hex')}`;
  const adminUrl = new URL(configured);
  const admin = () => postgres(adminUrl.toString(), { max: 1, onnotice: () => {} });
  const sql = admin();
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
  const url = new URL(configured);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const dropper = admin();
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}

export async function startBenchStack(logLevel: string): Promise<BenchStack> {
  if (process.env.BENCH_URL) return remoteStack(process.env.BENCH_URL);

  const dataDir = mkdtempSync(join(tmpdir(), 'order-saga-bench-'));
  // As root, the embedded PostgreSQL runs as the postgres user, which must be able to enter it.
  chmodSync(dataDir, 0o755);
  const { shoppers, apiKeys, adminKey } = shoppersWithKeys();
  const database = await freshDatabase();
  const [apiPort, shortTtlPort, temporalPort, pgPort, natsPort, workerMetricsPort, sdkMetricsPort] = [
    await freePort(),
    await freePort(),
    await freeTemporalPort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const databaseUrl = database?.url ?? `postgres://postgres:postgres@127.0.0.1:${pgPort}/orders`;
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const { TEMPORAL_ADDRESS: _t, NATS_URL: _n, DATABASE_URL: _d, ...inherited } = process.env;
  const common = { ...inherited, NODE_ENV: 'development', API_KEYS: apiKeys, LOG_LEVEL: logLevel };
  const processes: Guarded[] = [];
  const stop = async () => {
    for (const p of [...processes].reverse()) await stopGuarded(p);
    await database?.drop();
    if (!process.env.BENCH_KEEP_LOGS) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    return await startProcesses();
  } catch (err) {
    await stop();
    throw err;
  }

  async function startProcesses(): Promise<BenchStack> {
    const launcher = startGuarded(
      'stack',
      process.execPath,
      tsxArgs('scripts/dev-stack.ts'),
      {
        ...common,
        ...(database ? { DATABASE_URL: database.url } : {}),
        PORT: String(apiPort),
        TEMPORAL_DEV_PORT: String(temporalPort),
        EMBEDDED_PG_PORT: String(pgPort),
        EMBEDDED_NATS_PORT: String(natsPort),
        STACK_DATA_DIR: dataDir,
        WORKER_METRICS_PORT: String(workerMetricsPort),
        TEMPORAL_METRICS_BIND: `127.0.0.1:${sdkMetricsPort}`,
      },
      dataDir,
    );
    processes.push(launcher);
    const api = `http://127.0.0.1:${apiPort}/api/v1`;
    const shop = createShopClient(api, adminKey);
    await waitFor('the API to be ready (GET /ready)', processes, async () => (await shop.ready()).status === 200);

    const shortTtl = startGuarded(
      'api-short-ttl',
      process.execPath,
      tsxArgs('api/main.ts'),
      { ...common, DATABASE_URL: databaseUrl, TEMPORAL_ADDRESS: temporalAddress, PORT: String(shortTtlPort), RESERVATION_TTL: `${SHORT_TTL_MS}ms` },
      dataDir,
    );
    const ceilingWorker = startGuarded(
      'ceiling-worker',
      process.execPath,
      tsxArgs('scripts/bench/ceiling-worker.ts'),
      { ...common, TEMPORAL_ADDRESS: temporalAddress, BENCH_TASK_QUEUE: CEILING_TASK_QUEUE },
      dataDir,
    );
    processes.push(shortTtl, ceilingWorker);
    const shortTtlApi = `http://127.0.0.1:${shortTtlPort}/api/v1`;
    const shortShop = createShopClient(shortTtlApi, adminKey);
    await waitFor('the short-TTL API to be ready', processes, async () => (await shortShop.ready()).status === 200);
    await waitFor('the ceiling worker to poll', processes, async () => readFileSync(ceilingWorker.logFile, 'utf8').includes(CEILING_WORKER_READY));

    return {
      api,
      adminKey,
      shoppers,
      direct: { databaseUrl, temporalAddress, shortTtlApi, shortTtlMs: SHORT_TTL_MS },
      description:
        `npm start's launcher (scripts/dev-stack.ts) on free ports: ${database ? 'PostgreSQL at DATABASE_URL (a fresh database)' : 'embedded PostgreSQL'}, ` +
        `Temporal dev server, nats-server, worker and API as child processes; logs in ${dataDir}`,
      assertRunning() {
        const dead = processes.find((p) => p.exited);
        if (dead) throw new Error(`${dead.name} died during the bench; its log ends:\n${tailOf(dead.logFile)}`);
      },
      stop,
    };
  }
}
