#!/usr/bin/env node
// `npm run build` step: tsc emits only JavaScript, but db/migrate.ts reads the generated SQL
// migrations from the folder next to it, so the compiled dist/db/ needs its own copy.
import { cpSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'db', 'migrations');
const to = join(root, 'dist', 'db', 'migrations');

// Start clean so a migration deleted from the source tree never lingers in the build.
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
console.log(`[build] copied ${from} -> ${to}`);
