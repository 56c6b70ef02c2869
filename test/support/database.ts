import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../../db/embedded';
import { runMigrations } from '../../db/migrate';
import { freePort } from './ports';
import { onTeardown } from './teardown';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

let embedded: Promise<EmbeddedDatabase> | undefined;

/**
 * The PostgreSQL server tests run against: DATABASE_URL when set (mandatory in CI), otherwise a
 * real embedded PostgreSQL started once for the whole run.
 */
async function serverUrl(): Promise<(database: string) => string> {
  const configured = process.env.DATABASE_URL;
  if (configured) {
    return (database) => {
      const url = new URL(configured);
      url.pathname = `/${database}`;
      return url.toString();
    };
  }
  embedded ??= (async () => {
    const server = await startEmbeddedPostgres({
      dir: join(tmpdir(), `order-saga-test-pg-${process.pid}`),
      port: await freePort(),
      persistent: false,
    });
    onTeardown(() => server.stop());
    return server;
  })();
  const server = await embedded;
  return (database) => server.serverUrl(database);
}

/** The database to connect to for CREATE/DROP DATABASE: the one DATABASE_URL names, else `postgres`. */
function adminDatabase(): string {
  const configured = process.env.DATABASE_URL;
  return (configured && new URL(configured).pathname.slice(1)) || 'postgres';
}

/** A new, migrated database of its own, so suites never see each other's rows. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const urlFor = await serverUrl();
  const name = `order_saga_test_${randomBytes(6).toString('hex')}`;
  const admin = postgres(urlFor(adminDatabase()), {
    max: 1,
    onnotice: () => {},
  });
  try {
    await admin.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = urlFor(name);
  await runMigrations(url);
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    const sql = postgres(urlFor(adminDatabase()), {
      max: 1,
      onnotice: () => {},
    });
    try {
      await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await sql.end();
    }
  };
  onTeardown(drop);
  return { url, drop };
}
