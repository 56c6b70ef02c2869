import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { openDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { loadConfig, paymentProviderOf, requireDatabaseUrl } from '../domain/config';
import { createConfiguredPaymentProvider } from './payment-provider';
import { startEventTransport } from './event-transport';
import { ensureSearchAttributes } from './search-attributes';
import { createOrderWorker } from './worker';

/**
 * The worker process: migrations, search attributes, then polls the task queue until
 * SIGINT/SIGTERM; with NATS_URL it also relays the outbox and consumes warehouse reports.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  // Checked first: a production worker without PAYMENT_PROVIDER stops before touching anything.
  const paymentProvider = paymentProviderOf(config);
  const databaseUrl = requireDatabaseUrl(config);
  await runMigrations(databaseUrl);

  const client = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);

  const database = openDatabase(databaseUrl, { max: config.DATABASE_POOL_SIZE });
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await createOrderWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TASK_QUEUE,
    db: database.db,
    paymentProvider: createConfiguredPaymentProvider(config, database.db),
  });
  const events = startEventTransport({
    config,
    databaseUrl,
    db: database.db,
    temporal: new Client({ connection: client, namespace: config.TEMPORAL_NAMESPACE }),
  });
  console.log(
    `[worker] polling task queue "${config.TASK_QUEUE}" on ${config.TEMPORAL_ADDRESS} (payment provider: ${paymentProvider})`,
  );
  // The SDK shuts the worker down gracefully on SIGINT/SIGTERM; run() resolves once it has.
  try {
    await worker.run();
  } finally {
    await events.stop();
    await connection.close();
    await client.close();
    await database.close();
  }
}

main().catch((err) => {
  console.error('[worker] fatal:', err);
  process.exit(1);
});
