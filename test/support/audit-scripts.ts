import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface ScriptResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `npm run check:inventory`'s script as its own process, the way an operator would. */
export function checkInventory(databaseUrl: string | undefined): Promise<ScriptResult> {
  return runScript('check-inventory.ts', databaseUrl);
}

/** Runs `npm run check:money`'s script as its own process, the way an operator would. */
export function checkMoney(databaseUrl: string | undefined): Promise<ScriptResult> {
  return runScript('check-money.ts', databaseUrl);
}

function runScript(script: string, databaseUrl: string | undefined): Promise<ScriptResult> {
  const env = { ...process.env };
  if (databaseUrl === undefined) delete env.DATABASE_URL;
  else env.DATABASE_URL = databaseUrl;
  return new Promise((resolve) => {
    execFile(TSX, [join(ROOT, 'scripts', script)], { env, cwd: ROOT, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
