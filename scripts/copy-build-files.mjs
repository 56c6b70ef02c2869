#!/usr/bin/env node
// `npm run build` step: tsc emits only JavaScript compiled from TypeScript, but some code reads
// files that sit next to it: db/migrate.ts the generated SQL migrations, and the docs page
// (api/routes/documentation.ts) the browser script in api/swagger-ui/. dist/ needs its own copies.
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const folder of ['db/migrations', 'api/swagger-ui']) {
  const from = join(root, folder);
  const to = join(root, 'dist', folder);
  // Start clean so a file deleted from the source tree never lingers in the build.
  rmSync(to, { recursive: true, force: true });
  cpSync(from, to, { recursive: true });
  console.log(`[build] copied ${from} -> ${to}`);
}
