import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { resolve } from 'node:path';
import { findInventoryDiscrepancies } from '../../db/audit';
import { suiteStack } from '../api/suite-stack';
import { stockedProduct } from '../api/seed-catalog';
import { eventually } from '../support/eventually';
import { freePort } from '../support/ports';
import { KEYS } from '../support/stack';

const ROOT = resolve(__dirname, '..', '..');
const BURST = 24;

type Answer = { status: number; orderId?: string } | { refused: string };

describe('the API process on SIGTERM', function () {
  this.timeout(180_000);
  const stack = suiteStack();
  const processes: ChildProcess[] = [];
  after(() => processes.forEach((p) => p.exitCode === null && p.kill('SIGKILL')));

  /** `api/main.ts` as its own process over the suite's database, Temporal and worker. */
  async function startApi(port: number): Promise<{ process: ChildProcess; output: () => string }> {
    const api = spawn(process.execPath, ['--import', 'tsx', 'api/main.ts'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        PORT: String(port),
        DATABASE_URL: stack.config.DATABASE_URL,
        TEMPORAL_ADDRESS: stack.config.TEMPORAL_ADDRESS,
        TASK_QUEUE: stack.config.TASK_QUEUE,
        API_KEYS: stack.config.API_KEYS,
        SHUTDOWN_GRACE: '10s',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    processes.push(api);
    let output = '';
    api.stdout!.on('data', (chunk) => (output += String(chunk)));
    api.stderr!.on('data', (chunk) => (output += String(chunk)));
    await eventually(async () => {
      assert.equal(api.exitCode, null, `the API exited: ${output}`);
      assert.equal((await fetch(`http://127.0.0.1:${port}/api/v1/health`)).status, 200);
    }, 60_000);
    return { process: api, output: () => output };
  }

  /** One placement on a connection of its own (no keep-alive), so a refused connection is told apart from a lost answer. */
  function place(port: number, key: string, body: unknown): Promise<Answer> {
    return new Promise((resolveAnswer) => {
      const payload = JSON.stringify(body);
      const req = request(
        {
          host: '127.0.0.1',
          port,
          method: 'POST',
          path: '/api/v1/orders',
          agent: false,
          headers: { 'Content-Type': 'application/json', 'X-API-Key': KEYS.alice, 'Idempotency-Key': key, 'Content-Length': Buffer.byteLength(payload) },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += String(chunk)));
          res.on('end', () => resolveAnswer({ status: res.statusCode ?? 0, orderId: JSON.parse(text)?.data?.id }));
          res.on('error', (err) => resolveAnswer({ refused: err.message }));
        },
      );
      req.on('error', (err: NodeJS.ErrnoException) => resolveAnswer({ refused: err.code ?? err.message }));
      req.end(payload);
    });
  }

  it('finishes the placements in flight, refuses new connections and loses none of them', async () => {
    const mug = await stockedProduct(stack, 1_000);
    const body = { items: [{ productId: mug.productId, warehouseId: mug.warehouseId, quantity: 1 }], shippingAddress: '1 Main St' };
    const keys = Array.from({ length: BURST }, (_, i) => `burst-${Date.now()}-${i}`);
    const port = await freePort();
    const first = await startApi(port);

    // Half the burst goes out; once the first answer is back the rest of that half is in flight.
    const answeredAt = new Map<string, number>();
    const track = (key: string) => place(port, key, body).then((answer) => (answeredAt.set(key, Date.now()), answer));
    const firstHalf = keys.slice(0, BURST / 2).map(track);
    await Promise.race(firstHalf);
    first.process.kill('SIGTERM');
    const terminatedAt = Date.now();
    const exited = new Promise<number | null>((done) => first.process.once('exit', (code) => done(code)));
    // The other half arrives while the process stops.
    const secondHalf = keys.slice(BURST / 2).map(track);
    const settled = await Promise.all([...firstHalf, ...secondHalf]);
    const answers = new Map(keys.map((key, i) => [key, settled[i]]));

    assert.equal(await exited, 0, `the API did not exit cleanly:\n${first.output()}`);
    assert.ok(Date.now() - terminatedAt < 15_000, 'the API took longer than its grace period to stop');
    assert.match(first.output(), /"msg":"stopping: no new connections, finishing open requests"/);

    // Every answer is a 201 or a connection that was never served: refused once the listener had
    // closed, or reset by the kernel when it closed while the connection still waited in its
    // backlog. Nothing the placements sent before the signal was cut off or answered with an error.
    for (const [key, answer] of answers) {
      const expected = keys.indexOf(key) < BURST / 2 ? ['201'] : ['201', 'ECONNREFUSED', 'ECONNRESET'];
      assert.ok(answer && expected.includes('refused' in answer ? answer.refused : String(answer.status)), `${key}: ${JSON.stringify(answer)}`);
    }
    // What the process served, it answered in full: one 201 access line per 201 a client received.
    const served = [...first.output().matchAll(/"msg":"POST \/api\/v1\/orders (\d+)"/g)].map((match) => match[1]);
    const received = [...answers.values()].filter((answer) => answer && 'status' in answer).length;
    assert.deepEqual(served, Array.from({ length: received }, () => '201'));
    const inFlight = keys.slice(0, BURST / 2).filter((key) => (answeredAt.get(key) ?? 0) > terminatedAt);
    assert.ok(inFlight.length > 0, 'no placement was still in flight when SIGTERM arrived');
    for (const key of inFlight) assert.equal((answers.get(key) as { status: number }).status, 201, key);
    const refused = [...answers.values()].filter((answer) => answer && 'refused' in answer);
    assert.ok(refused.length > 0, 'every placement was accepted: the process never stopped listening');

    // After a restart, every client finds its order by its Idempotency-Key: the same one when it had its 201.
    const second = await startApi(port);
    const orderIds = new Set<string>();
    for (const key of keys) {
      const retry = await place(port, key, body);
      assert.ok('status' in retry && retry.status === 201 && retry.orderId, `${key} after restart: ${JSON.stringify(retry)}`);
      const before = answers.get(key);
      if (before && 'status' in before) assert.equal(retry.orderId, before.orderId, key);
      orderIds.add(retry.orderId);
    }
    second.process.kill('SIGTERM');
    assert.equal(orderIds.size, BURST);

    // No order is half placed: each holds exactly its unit, and the ledger agrees with the levels.
    const rows = await stack.database.sql<Array<{ id: string; status: string; held: number }>>`
      SELECT o.id, o.status,
             coalesce((SELECT sum(r.quantity) FROM stock_reservations r WHERE r.order_id = o.id AND r.status = 'active'), 0)::int AS held
      FROM orders o WHERE o.id IN ${stack.database.sql([...orderIds])}`;
    assert.equal(rows.length, BURST);
    for (const row of rows) assert.deepEqual({ status: row.status, held: row.held }, { status: 'awaiting_payment', held: 1 }, row.id);
    const [level] = await stack.database.sql<Array<{ reserved: number }>>`
      SELECT reserved FROM inventory_levels WHERE product_id = ${mug.productId} AND warehouse_id = ${mug.warehouseId}`;
    assert.equal(level!.reserved, BURST);
    assert.deepEqual(await findInventoryDiscrepancies(stack.database.db), []);
  });
});
