import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

/** Runs the worker process as production would start it, and waits for it to exit; `output` is all it wrote (its pino log is on stdout). */
function startWorker(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = execFile(TSX, [join(ROOT, 'workers', 'main.ts')], {
      cwd: ROOT,
      // Nothing listens here: a worker that got past the check would fail on it, differently.
      env: { PATH: process.env.PATH ?? '', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none', TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
      timeout: 60_000,
    });
    let output = '';
    child.stdout?.on('data', (chunk) => (output += String(chunk)));
    child.stderr?.on('data', (chunk) => (output += String(chunk)));
    child.on('exit', (code) => resolve({ code, output }));
  });
}

describe('worker start-up', function () {
  it('refuses to start in production on the sandbox payment provider unless PAYMENT_PROVIDER says so', async function () {
    const refused = await startWorker({ NODE_ENV: 'production' });

    assert.equal(refused.code, 1);
    assert.match(refused.output, /PAYMENT_PROVIDER is not set: with NODE_ENV=production/);
    assert.match(refused.output, /Set PAYMENT_PROVIDER=sandbox/);

    // Asked for by name it gets past the check (and then fails on the database that is not there).
    const allowed = await startWorker({ NODE_ENV: 'production', PAYMENT_PROVIDER: 'sandbox' });
    assert.equal(allowed.code, 1);
    assert.doesNotMatch(allowed.output, /PAYMENT_PROVIDER/);
    assert.match(allowed.output, /ECONNREFUSED|connect/);
  });
});
