import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { loadConfig, requireDatabaseUrl } from '../domain/config';
import { createApp } from './app';

const SHUTDOWN_GRACE_MS = 10_000;

/** The API process: one database pool, one Temporal client, one HTTP server; stops on SIGINT/SIGTERM. */
async function main(): Promise<void> {
  const config = loadConfig();
  const databaseUrl = requireDatabaseUrl(config);
  await runMigrations(databaseUrl);

  const database = openDatabase(databaseUrl, { max: config.DATABASE_POOL_SIZE });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  // Throws in production without API_KEYS and without JWT settings, before anything listens.
  const app = createApp({ config, database, temporal });

  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.PORT, (err?: Error) => (err ? reject(err) : resolve(listening)));
  });
  const { port } = server.address() as AddressInfo;
  console.log(`[api] listening on http://localhost:${port}/api/v1 (Temporal ${config.TEMPORAL_ADDRESS})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`[api] ${signal}: finishing open requests`);
    // Open requests get a grace period to finish; idle keep-alive connections close at once.
    const forced = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    server.closeIdleConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    clearTimeout(forced);
    await connection.close();
    await database.close();
    console.log('[api] stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop(signal).catch((err) => {
        console.error('[api] shutdown failed:', err);
        process.exitCode = 1;
      });
    });
  }
}

main().catch((err) => {
  console.error('[api] fatal:', err);
  process.exit(1);
});
