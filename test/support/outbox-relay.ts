import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { openDatabase, type Db } from '../../db/client';
import { eventOutbox } from '../../db/schema';
import { createOutboxRelay, type OutboxRelay, type RelaySettings } from '../../workers/outbox-relay';
import { temporalLogger } from '../../logging/temporal-logger';
import { testLogger } from './logs';
import { natsClient } from './nats';
import { onTeardown } from './teardown';

const ROOT = join(__dirname, '..', '..');

/** Relay settings for tests: small batches, short waits. */
export function testRelaySettings(
  prefixes: { subjectPrefix: string; warehousePrefix: string },
  overrides: Partial<RelaySettings> = {},
): RelaySettings {
  return {
    subjectPrefix: prefixes.subjectPrefix,
    warehouseSubjectPrefix: prefixes.warehousePrefix,
    duplicateWindowMs: 120_000,
    batchSize: 50,
    pollIntervalMs: 200,
    publishTimeoutMs: 1_000,
    maxBackoffMs: 1_000,
    maxAttempts: 3,
    ...overrides,
  };
}

export type TestRelay = Pick<OutboxRelay, 'status' | 'stop'>;

/** A relay as the worker runs one: a client and a NATS connection of its own; stopped at the end. */
export async function startRelay(databaseUrl: string, natsUrl: string, settings: RelaySettings): Promise<TestRelay> {
  const database = openDatabase(databaseUrl, { max: 1 });
  const nats = await natsClient(natsUrl);
  const relay = createOutboxRelay({ sql: database.sql, nats, settings, log: temporalLogger(testLogger.child({ name: 'test-relay' })) });
  relay.start();
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      await relay.stop();
      await database.close();
    })());
  onTeardown(stop);
  return { status: relay.status, stop };
}

/** Runs test/support/relay-process.ts; resolves with how the process ended. */
export function runRelayProcess(
  databaseUrl: string,
  natsUrl: string,
  settings: RelaySettings,
  { killAfterAck }: { killAfterAck: boolean },
): Promise<{ code: number | null; signal: NodeJS.Signals | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test', 'support', 'relay-process.ts')], {
      cwd: ROOT,
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        NATS_URL: natsUrl,
        RELAY_SETTINGS: JSON.stringify(settings),
        RELAY_KILL_AFTER_ACK: killAfterAck ? '1' : '0',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, output });
    });
  });
}

/** How many outbox rows have the status. */
export async function outboxCount(db: Db, status: 'pending' | 'published' | 'failed'): Promise<number> {
  const [row] = await db.select({ n: count() }).from(eventOutbox).where(eq(eventOutbox.status, status));
  return row!.n;
}
