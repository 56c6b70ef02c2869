import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually } from '../support/eventually';
import { freePort } from '../support/ports';
import { descendantsOf, isAlive, portOpen } from '../support/processes';

const ROOT = resolve(__dirname, '..', '..');

/** A free port whose neighbour 1000 above (the dev server's Web UI) is free too. */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port + 1000 < 65536 && !(await portOpen(port + 1000))) return port;
  }
}

describe('npm start (the launcher)', function () {
  this.timeout(240_000);
  let launcher: ChildProcess | undefined;
  let dataDir: string | undefined;
  let output = '';

  afterEach(function () {
    // On failure, nothing may be left for the next test: kill the whole tree.
    if (launcher?.pid !== undefined) {
      for (const pid of [...descendantsOf(launcher.pid), launcher.pid]) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone already.
        }
      }
    }
    if (this.currentTest?.state === 'failed') process.stderr.write(`npm start printed:\n${output.slice(-6000)}\n`);
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('leaves no process and no port behind when the launcher is killed with SIGKILL', async () => {
    const temporalPort = await freePortPair();
    const ports = {
      PORT: await freePort(),
      EMBEDDED_PG_PORT: await freePort(),
      TEMPORAL_DEV_PORT: temporalPort,
      WORKER_METRICS_PORT: await freePort(),
    };
    const temporalMetrics = await freePort();
    dataDir = mkdtempSync(join(tmpdir(), 'launcher-test-'));
    // The embedded PostgreSQL runs as its own user, who must be able to enter the data directory's parent.
    chmodSync(dataDir, 0o755);
    const env: NodeJS.ProcessEnv = { ...process.env, ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])) };
    delete env.DATABASE_URL;
    delete env.TEMPORAL_ADDRESS;
    Object.assign(env, { STACK_DATA_DIR: dataDir, TEMPORAL_METRICS_BIND: `127.0.0.1:${temporalMetrics}`, NODE_ENV: 'development' });

    // Its own process group, like a terminal session: a kill of the group is a closed terminal or a CI timeout.
    launcher = spawn('npm', ['start'], { cwd: ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    launcher.stdout!.on('data', (chunk) => (output += String(chunk)));
    launcher.stderr!.on('data', (chunk) => (output += String(chunk)));

    // Every child up: PostgreSQL and Temporal before the migrations, then the worker polling and the API answering.
    const exited = new Promise<never>((_resolve, reject) =>
      launcher!.once('exit', (code) => reject(new Error(`npm start exited (code ${code}) before the stack was up`))),
    );
    exited.catch(() => undefined); // it exits when killed below, after the race is over
    await Promise.race([
      exited,
      eventually(async () => {
        assert.match(output, /"name":"worker".*"msg":"polling task queue/);
        assert.equal((await fetch(`http://127.0.0.1:${ports.PORT}/api/v1/health`)).status, 200);
      }, 180_000),
    ]);
    const listening = [...Object.values(ports), temporalPort + 1000, temporalMetrics];
    for (const port of listening) assert.ok(await portOpen(port), `nothing listens on ${port}`);
    const started = descendantsOf(launcher.pid!);
    assert.ok(started.length >= 8, `only ${started.length} processes below the launcher`);

    process.kill(-launcher.pid!, 'SIGKILL');

    await eventually(async () => {
      const alive = started.filter(isAlive);
      assert.deepEqual(alive, [], `still running after the launcher was killed: ${alive.join(', ')}`);
      const open = [];
      for (const port of listening) if (await portOpen(port)) open.push(port);
      assert.deepEqual(open, [], `ports still open after the launcher was killed: ${open.join(', ')}`);
    }, 20_000);
    launcher = undefined;
  });
});
