import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import { openDatabase } from '../db/client';
import { runMigrations } from '../db/migrate';
import { loadConfig, requireDatabaseUrl } from '../domain/config';
import { createLogger, defaultLogger } from '../logging/logger';
import { createApp } from './app';

/**
 * The API process: one database pool, one Temporal client, one HTTP server. On SIGINT/SIGTERM it
 * stops accepting connections, lets the requests in flight finish (up to SHUTDOWN_GRACE), then
 * closes its pool and connection and exits.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ name: 'api', level: config.LOG_LEVEL });
  const databaseUrl = requireDatabaseUrl(config);
  await runMigrations(databaseUrl);

  const database = openDatabase(databaseUrl, { max: config.DATABASE_POOL_SIZE });
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
  // Throws in production without API_KEYS and without JWT settings, before anything listens.
  const app = createApp({ config, database, temporal, logger });

  let stopping = false;
  const server = await new Promise<Server>((resolve, reject) => {
    const listening = app.listen(config.PORT, (err?: Error) => (err ? reject(err) : resolve(listening)));
  });
  // While stopping, answers tell keep-alive clients to reconnect (elsewhere) for their next request.
  server.on('request', (_req, res) => {
    if (stopping) res.setHeader('Connection', 'close');
  });
  const { port } = server.address() as AddressInfo;
  logger.info({ port, temporal: config.TEMPORAL_ADDRESS }, `listening on http://localhost:${port}/api/v1`);

  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, graceMs: config.SHUTDOWN_GRACE }, 'stopping: no new connections, finishing open requests');
    // Open requests get the grace period to finish; idle keep-alive connections close at once.
    const forced = setTimeout(() => {
      logger.warn('grace period over: closing the connections still open');
      server.closeAllConnections();
    }, config.SHUTDOWN_GRACE).unref();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    await closed;
    clearTimeout(forced);
    await connection.close();
    await database.close();
    logger.info('stopped');
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      stop(signal).catch((err: unknown) => {
        logger.error({ err }, 'shutdown failed');
        process.exitCode = 1;
      });
    });
  }
}

main().catch((err: unknown) => {
  defaultLogger().fatal({ err, name: 'api' }, 'start-up failed');
  process.exit(1);
});
