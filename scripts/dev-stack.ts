// `npm start`: the whole stack in one command. Without DATABASE_URL it runs an embedded
// PostgreSQL, without TEMPORAL_ADDRESS the Temporal dev server, without NATS_URL the pinned
// nats-server with JetStream (state of all three under .data/), then applies migrations and runs
// the worker and the API as child processes. Ctrl-C (or SIGTERM) stops them
// all, in reverse start order; if any of them dies on its own, everything stops and the launcher
// exits non-zero. Each child runs under scripts/child-guard.mjs, which stops it when this
// launcher dies, even by SIGKILL, so no process or port is left behind.
// EMBEDDED_PG_PORT (default 5433) moves the embedded PostgreSQL, TEMPORAL_DEV_PORT (default 7233;
// Web UI 1000 above) the dev server, EMBEDDED_NATS_PORT (default 4223) the nats-server,
// STACK_DATA_DIR (default .data/) their state.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { prettyFactory } from 'pino-pretty';
import postgres from 'postgres';
import { runMigrations } from '../db/migrate';
import { loadConfig } from '../domain/config';
import { createLogger, type Logger } from '../logging/logger';
import { ORDER_SEARCH_ATTRIBUTES } from '../workflows/messages';
import { natsServerPath } from './nats-binaries';
import { temporalAnswers } from './temporal-answers';
import { DEV_SERVER_SQLITE_ARGS, temporalCliPath } from './temporal-binaries';

const ROOT = resolve(__dirname, '..');
const GUARD = join(ROOT, 'scripts', 'child-guard.mjs');
const DATA_DIR = resolve(process.env.STACK_DATA_DIR ?? join(ROOT, '.data'));
const POSTGRES_DIR = join(DATA_DIR, 'postgres');
const NATS_DIR = join(DATA_DIR, 'nats');
const DATABASE_NAME = 'orders';
const TEMPORAL_PORT = Number(process.env.TEMPORAL_DEV_PORT ?? 7233);
const TEMPORAL_UI_PORT = TEMPORAL_PORT + 1000;
// The saga's search attributes, all keywords, registered when the dev server starts.
const SEARCH_ATTRIBUTES = ORDER_SEARCH_ATTRIBUTES.map((key) => `${key.name}=Keyword`);
const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const POSTGRES_START_TIMEOUT_MS = 60_000;
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
const config = loadConfig();
const log = createLogger({ name: 'stack', level: config.LOG_LEVEL });

// ---------------------------------------------------------------------------------------------
// Child processes

/**
 * Passes a child's lines on: its pino lines as they are (pretty-printed on a terminal), anything
 * else (the Temporal CLI's output, an npm error) as a line of this launcher's log naming the child.
 */
function relayLines(stream: Readable, output: Logger, level: 'info' | 'warn', pretty: ((line: string) => string) | undefined): void {
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
    if (!line.trim()) return;
    if (!isPinoLine(line)) return output[level](line);
    process.stdout.write(pretty ? pretty(line) : `${line}\n`);
  });
}

function isPinoLine(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: unknown };
    return typeof entry.level === 'number' && 'msg' in entry;
  } catch {
    return false;
  }
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

/** SIGTERM to the child's whole process group (guard and command), SIGKILL if it outstays the grace period. */
async function stopProcessGroup(name: string, child: ChildProcess): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || !groupAlive(pid)) return;
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + STOP_GRACE_MS;
  while (groupAlive(pid)) {
    if (Date.now() > deadline) {
      log.warn({ child: name }, `${name} did not stop within ${STOP_GRACE_MS / 1000}s; killing it`);
      signalGroup(pid, 'SIGKILL');
      return;
    }
    await sleep(100);
  }
}

/**
 * Spawns a long-running child under the guard. Each child leads a process group of its own, so a
 * terminal's Ctrl-C reaches only this launcher, which then stops the children in order (API
 * before worker before Temporal before PostgreSQL) and can kill whole subtrees. The guard's stdin
 * is a pipe from here: when this process dies, the pipe closes and the guard stops the child.
 */
function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [GUARD, String(STOP_GRACE_MS), command, ...args], {
    cwd: ROOT,
    env: { ...env, LOG_LEVEL: config.LOG_LEVEL },
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const output = createLogger({ name, level: config.LOG_LEVEL });
  const pretty = process.stdout.isTTY ? prettyFactory({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }) : undefined;
  relayLines(child.stdout!, output, 'info', pretty);
  relayLines(child.stderr!, output, 'warn', pretty);
  child.once('error', (err) => void shutdown(1, `${name} could not start: ${err.message}`));
  child.once('exit', (code, signal) => {
    if (!shuttingDown) void shutdown(1, `${name} exited unexpectedly (${signal ?? `code ${code}`})`);
  });
  services.push({ name, stop: () => stopProcessGroup(name, child) });
  log.debug({ child: name, pid: child.pid }, `started ${name}`);
  return child;
}

/** A TypeScript entry point of this project, run by node with tsx (no npm or shell in between). */
function startTypeScript(name: string, entry: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  return startChild(name, process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], env);
}

async function waitUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await sleep(250);
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL

/** Starts (initialising on first run) the embedded PostgreSQL and returns the app database's URL. */
async function startEmbeddedDatabase(): Promise<string> {
  const port = Number(process.env.EMBEDDED_PG_PORT ?? 5433);
  log.info({ port, dir: POSTGRES_DIR }, `starting embedded PostgreSQL on 127.0.0.1:${port}`);
  startTypeScript('postgres', 'scripts/embedded-postgres.ts', [POSTGRES_DIR, String(port)], process.env);
  const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  const created = await waitUntil(() => ensureDatabase(adminUrl, DATABASE_NAME).then(() => true, () => false), POSTGRES_START_TIMEOUT_MS);
  if (!created) throw new Error(`the embedded PostgreSQL did not accept connections within ${POSTGRES_START_TIMEOUT_MS / 1000}s`);
  return `postgres://postgres:postgres@127.0.0.1:${port}/${DATABASE_NAME}`;
}

async function ensureDatabase(adminUrl: string, name: string): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 2 });
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
  toolsInstalled = true;
  const output = execFileSync(process.execPath, [join(ROOT, 'scripts', 'install-tools.mjs')], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
  });
  for (const line of output.split('\n').filter(Boolean)) log.info(line);
}

/** Starts `temporal server start-dev` with its state in the data directory and returns its gRPC address. */
function startTemporalDevServer(): string {
  installTools();
  const dbFile = join(DATA_DIR, 'temporal.db');
  const args = [
    'server', 'start-dev',
    '--db-filename', dbFile,
    '--ip', '127.0.0.1',
    '--port', String(TEMPORAL_PORT),
    '--ui-port', String(TEMPORAL_UI_PORT),
    '--log-format', 'json',
    ...DEV_SERVER_SQLITE_ARGS,
    ...SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', attribute]),
  ];
  log.info({ port: TEMPORAL_PORT, state: dbFile }, `starting Temporal dev server on 127.0.0.1:${TEMPORAL_PORT}`);
  startChild('temporal', temporalCliPath(), args, process.env);
  return `127.0.0.1:${TEMPORAL_PORT}`;
}

/** Retries until the frontend answers, so the worker and API never race a starting server. */
async function waitForTemporal(address: string): Promise<void> {
  let lastError = '';
  const answered = await waitUntil(async () => {
    try {
      return await temporalAnswers(address);
    } catch (err) {
      lastError = (err as Error).message;
      return false;
    }
  }, TEMPORAL_START_TIMEOUT_MS);
  if (!answered) throw new Error(`Temporal at ${address} did not answer within ${TEMPORAL_START_TIMEOUT_MS / 1000}s: ${lastError}`);
}

// ---------------------------------------------------------------------------------------------
// Worker and API

function apiAnswers(baseUrl: string): Promise<boolean> {
  return fetch(`${baseUrl}/health`).then((response) => response.ok, () => false);
}

// ---------------------------------------------------------------------------------------------
// Start and stop

async function shutdown(exitCode: number, reason: string): Promise<void> {
  if (shuttingDown) return;
  shuttingDown = true;
  log.info({ reason }, `${reason}; stopping ${services.map((s) => s.name).reverse().join(', ') || 'nothing'}`);
  for (const service of [...services].reverse()) {
    try {
      await service.stop();
    } catch (err) {
      log.error({ err, child: service.name }, `stopping ${service.name} failed`);
      exitCode ||= 1;
    }
  }
  log.info({ exitCode }, 'stopped');
  process.exit(exitCode);
}

function handleShutdownSignals(): void {
  for (const signal of SHUTDOWN_SIGNALS) {
    process.on(signal, () => {
      if (shuttingDown) log.info(`received ${signal}; already stopping, each child gets ${STOP_GRACE_MS / 1000}s`);
      void shutdown(0, `received ${signal}`);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// NATS

/** Starts the pinned nats-server with JetStream, its streams kept in the data directory, and returns its URL. */
function startNatsServer(): string {
  installTools();
  const port = Number(process.env.EMBEDDED_NATS_PORT ?? 4223);
  log.info({ port, dir: NATS_DIR }, `starting nats-server with JetStream on 127.0.0.1:${port}`);
  startChild('nats', natsServerPath(), ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', NATS_DIR], process.env);
  // The worker retries until it answers, so nothing waits for it here.
  return `nats://127.0.0.1:${port}`;
}

async function main(): Promise<void> {
  handleShutdownSignals();
  mkdirSync(DATA_DIR, { recursive: true });

  const databaseUrl = config.DATABASE_URL ?? (await startEmbeddedDatabase());
  const startsTemporal = process.env.TEMPORAL_ADDRESS === undefined;
  const temporalAddress = startsTemporal ? startTemporalDevServer() : config.TEMPORAL_ADDRESS;
  await waitForTemporal(temporalAddress);
  log.info(`Temporal answers on ${temporalAddress}`);

  await runMigrations(databaseUrl);
  log.info('migrations applied');

  const natsUrl = config.NATS_URL ?? startNatsServer();

  const uiUrl = startsTemporal ? `http://localhost:${TEMPORAL_UI_PORT}` : config.TEMPORAL_UI_URL;
  const env = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: uiUrl,
    NATS_URL: natsUrl,
  };
  startTypeScript('worker', 'workers/main.ts', [], env);
  startTypeScript('api', 'api/main.ts', [], env);

  const apiUrl = `http://localhost:${config.PORT}/api/v1`;
  if (!(await waitUntil(() => apiAnswers(apiUrl), API_START_TIMEOUT_MS))) {
    log.warn(`the API did not answer ${apiUrl}/health within ${API_START_TIMEOUT_MS / 1000}s`);
  }
  const devKey = config.API_KEYS === undefined && config.NODE_ENV !== 'production';
  log.info(
    {
      api: apiUrl,
      health: `${apiUrl}/health`,
      ready: `${apiUrl}/ready`,
      metrics: `http://localhost:${config.PORT}/metrics`,
      webUi: uiUrl,
      apiKey: devKey ? 'dev-admin-key (admin; API_KEYS is unset, so only outside production)' : 'from API_KEYS',
    },
    `ready: API ${apiUrl}, Web UI ${uiUrl}; stop with Ctrl-C`,
  );
}

main().catch((err) => void shutdown(1, `start-up failed: ${(err as Error).message}`));
