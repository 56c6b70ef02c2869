import { existsSync } from 'node:fs';
import { delimiter, dirname, join } from 'node:path';

/** The project root: the nearest folder above this file with a package.json (works from dist/ too). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

const VENV_BIN = join(projectRoot(), '.tools', 'venv', 'bin');

function onPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, name);
    if (dir && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** A binary that `npm run tools` installs into .tools/ at its pinned version. */
export function pinnedBinary(name: string): string {
  const path = join(VENV_BIN, name);
  if (!existsSync(path)) {
    throw new Error(`${name} is not installed: run \`npm run tools\` (installs the pinned binaries into .tools/)`);
  }
  return path;
}

/** The `temporal` CLI: TEMPORAL_CLI_PATH, then one on PATH, then the project's pinned copy. */
export function temporalCliPath(): string {
  return process.env.TEMPORAL_CLI_PATH ?? onPath('temporal') ?? pinnedBinary('temporal');
}

/** The time-skipping test server: TEMPORAL_TEST_SERVER_PATH, else the project's pinned copy. */
export function temporalTestServerPath(): string {
  return process.env.TEMPORAL_TEST_SERVER_PATH ?? pinnedBinary('temporal-test-server');
}

/**
 * The dev server's SQLite in WAL mode without fsync per commit, as Temporal's own SDK CI runs it:
 * more than twice the workflow tasks per second on a small machine. A killed server keeps its
 * state (the writes are in the OS); a power loss may lose its last moments, which a dev server
 * may. Pass to `temporal server start-dev`.
 */
export const DEV_SERVER_SQLITE_ARGS: readonly string[] = ['journal_mode=wal', 'synchronous=off'].flatMap((pragma) => [
  '--sqlite-pragma',
  pragma,
]);
