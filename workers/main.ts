import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { openDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { loadConfig, paymentProviderOf, requireDatabaseUrl } from '../domain/config';
import { createLogger, defaultLogger } from '../logging/logger';
import { startEventTransport } from './event-transport';
import { createWorkerMetrics, serveMetrics } from './metrics';
import { registerOutboxGauges } from './outbox-metrics';
import { createConfiguredPaymentProvider } from './payment-provider';
import { installWorkerRuntime } from './runtime';
import { ensureSearchAttributes } from './search-attributes';
import { createOrderWorker } from './worker';

/**
 * The worker process: migrations, search attributes, then polls the task queue until SIGINT/SIGTERM;
 * with NATS_URL it also relays the outbox and consumes warehouse reports. On the signal the SDK
 * stops polling and gives running activities SHUTDOWN_GRACE to finish; what is still running then
 * is handed back to the server, which retries it elsewhere.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL });
  // Checked first: a production worker without PAYMENT_PROVIDER stops before touching anything.
  const paymentProvider = paymentProviderOf(config);
  installWorkerRuntime({ logger, metricsBind: config.TEMPORAL_METRICS_BIND });
  const databaseUrl = requireDatabaseUrl(config);
  await runMigrations(databaseUrl);

  const client = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);

  const metrics = createWorkerMetrics();
  const metricsServer =
    config.WORKER_METRICS_PORT === 0
      ? undefined
      : await serveMetrics(metrics.registry, { port: config.WORKER_METRICS_PORT, token: config.METRICS_TOKEN });
  const database = openDatabase(databaseUrl, { max: config.DATABASE_POOL_SIZE });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createOrderWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    db: database.db,
    paymentProvider: createConfiguredPaymentProvider(config, database.db),
    metrics,
    shutdownGraceMs: config.SHUTDOWN_GRACE,
    slots: {
      workflowTasks: config.WORKER_WORKFLOW_TASKS,
      workflowPollers: config.WORKER_WORKFLOW_POLLERS,
      localActivities: config.WORKER_LOCAL_ACTIVITIES,
      activities: config.WORKER_ACTIVITIES,
      cachedWorkflows: config.WORKER_CACHED_WORKFLOWS,
    },
  });
  metrics.extend((registry) => registerOutboxGauges(registry, database.db));
  const events = startEventTransport({
    config,
    databaseUrl,
    db: database.db,
    temporal: new Client({ connection: client, namespace: config.TEMPORAL_NAMESPACE }),
    logger,
  });
  logger.info(
    {
      taskQueue: config.TASK_QUEUE,
      temporal: config.TEMPORAL_ADDRESS,
      paymentProvider,
      metricsPort: metricsServer ? config.WORKER_METRICS_PORT : 'off',
      temporalMetrics: config.TEMPORAL_METRICS_BIND,
    },
    `polling task queue "${config.TASK_QUEUE}"`,
  );
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has.
  try {
    await worker.run();
  } finally {
    await events.stop();
    await new Promise<void>((resolve) => (metricsServer ? metricsServer.close(() => resolve()) : resolve()));
    await connection.close();
    await client.close();
    await database.close();
    logger.info('stopped');
  }
}

main().catch((err: unknown) => {
  defaultLogger().fatal({ err, name: 'worker' }, 'start-up failed');
  process.exit(1);
});
