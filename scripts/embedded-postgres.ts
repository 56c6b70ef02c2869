// The embedded PostgreSQL of `npm start` as a process of its own (scripts/dev-stack.ts runs it
// under scripts/child-guard.mjs like every other child), so it stops with its process group,
// even when the launcher itself is killed.
//
//   node --import tsx scripts/embedded-postgres.ts <data-dir> <port>
import { startEmbeddedPostgres } from '../db/embedded';
import { loadConfig } from '../domain/config';
import { createLogger } from '../logging/logger';

async function main(): Promise<void> {
  const [dir, portText] = process.argv.slice(2);
  const logger = createLogger({ name: 'postgres', level: loadConfig().LOG_LEVEL });
  if (!dir || !portText) throw new Error('usage: embedded-postgres.ts <data-dir> <port>');
  const port = Number(portText);
  const server = await startEmbeddedPostgres({ dir, port, persistent: true });
  logger.info({ port, dir }, `PostgreSQL accepts connections on 127.0.0.1:${port}`);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      server.stop().then(
        () => {
          logger.info({ signal }, 'PostgreSQL stopped');
          process.exit(0);
        },
        (err: unknown) => {
          logger.error({ err }, 'PostgreSQL did not stop cleanly');
          process.exit(1);
        },
      );
    });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
