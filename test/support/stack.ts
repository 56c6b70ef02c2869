import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../api/app';
import { createSandboxPaymentProvider } from '../../activities/sandbox-payment-provider';
import type { PaymentProvider } from '../../activities/payment-provider';
import {
  describeInventoryDiscrepancy,
  describeMoneyDiscrepancy,
  findInventoryDiscrepancies,
  findMoneyDiscrepancies,
} from '../../db/audit';
import { openDatabase, type Database, type Db } from '../../db/client';
import { loadConfig, type Config } from '../../domain/config';
import { createWorkerMetrics, type WorkerMetrics } from '../../workers/metrics';
import { createOrderWorker } from '../../workers/worker';
import { createTestDatabase } from './database';
import { sharedDevServer, sharedWorkflowBundle } from './temporal';

/** Credentials every stack accepts (API_KEYS). */
export const KEYS = {
  admin: 'test-admin-key',
  alice: 'test-alice-key',
  bob: 'test-bob-key',
  warehouse: 'test-warehouse-key',
  /** A warehouse credential scoped to SCOPED_WAREHOUSE: it sees and moves only that warehouse's delivery orders. */
  scopedWarehouse: 'test-scoped-warehouse-key',
} as const;

export const SCOPED_WAREHOUSE = 'wh-scoped';

export interface Stack {
  config: Config;
  database: Database;
  env: TestWorkflowEnvironment;
  client: Client;
  /** What the stack's worker counts (sagas by outcome, activity failures). */
  workerMetrics: WorkerMetrics;
  /** Base URL of the running API, e.g. http://127.0.0.1:41234/api/v1 */
  api: string;
  /** Stops the worker (as a crash or a deploy would), so sagas make no progress until startWorker(). */
  stopWorker(): Promise<void>;
  startWorker(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  env?: Record<string, string>;
  /** The worker's provider, built over the stack's database; the DB-backed sandbox by default. */
  paymentProvider?: (db: Db) => PaymentProvider;
}

/**
 * What every suite must leave behind, checked before its database is dropped: stock that agrees
 * with its ledger and reservations (check:inventory), and money that agrees with the provider and
 * with each order's status (check:money). Throws, failing the suite, with every discrepancy.
 */
async function expectBooksBalanced(db: Db): Promise<void> {
  const [stock, money] = await Promise.all([findInventoryDiscrepancies(db), findMoneyDiscrepancies(db)]);
  const lines = [...stock.map(describeInventoryDiscrepancy), ...money.map(describeMoneyDiscrepancy)];
  if (lines.length > 0) {
    throw new Error(`the suite left stock or money inconsistent:\n${lines.join('\n')}`);
  }
}

/**
 * The real thing for integration and API tests: a fresh migrated database, the shared dev
 * server, a worker on a task queue of its own and the API listening on a free port. `stop()`
 * fails when the suite left stock or money inconsistent.
 */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const [testDb, env, workflowBundle] = await Promise.all([
    createTestDatabase(),
    sharedDevServer(),
    sharedWorkflowBundle(),
  ]);
  const config = loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: testDb.url,
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: `orders-test-${randomBytes(4).toString('hex')}`,
    API_KEYS: `${KEYS.admin}=admin,${KEYS.alice}=customer:alice,${KEYS.bob}=customer:bob,${KEYS.warehouse}=warehouse,${KEYS.scopedWarehouse}=warehouse:${SCOPED_WAREHOUSE}`,
    ...options.env,
  });
  const database = openDatabase(testDb.url, { max: 20 });
  const workerMetrics = createWorkerMetrics();
  const startWorker = async () => {
    const worker = await createOrderWorker({
      connection: env.nativeConnection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.TASK_QUEUE,
      db: database.db,
      paymentProvider: (options.paymentProvider ?? createSandboxPaymentProvider)(database.db),
      workflowBundle,
      metrics: workerMetrics,
    });
    const running = worker.run();
    return { stop: () => (worker.shutdown(), running) };
  };
  let worker: { stop(): Promise<void> } | undefined = await startWorker();

  const app = createApp({ config, database, temporal: env.client });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;

  let stopped = false;
  return {
    config,
    database,
    env,
    client: env.client,
    workerMetrics,
    api: `http://127.0.0.1:${port}/api/v1`,
    async stopWorker() {
      await worker?.stop();
      worker = undefined;
    },
    async startWorker() {
      worker ??= await startWorker();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await worker?.stop();
      try {
        await expectBooksBalanced(database.db);
      } finally {
        await database.close();
        await testDb.drop();
      }
    },
  };
}
