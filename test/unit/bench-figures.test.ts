import { strict as assert } from 'node:assert';
import { passFigures, percentile } from '../../scripts/bench/figures';
import { PASS, targetsOf, type PassRow } from '../../scripts/bench/targets';
import { cpuNow, cpuPerCall, cpuTotal } from '../../scripts/bench/cpu';

function pass(name: string, clients: number, perSecond: number, p50Ms: number, p99Ms = p50Ms): PassRow {
  return { pass: name, clients, count: 100, perSecond, p50Ms, p95Ms: p99Ms, p99Ms, maxMs: p99Ms, answers: {} };
}

describe('bench figures', function () {
  it('takes nearest-rank percentiles: p50 of 1..10 is 5, p99 is the largest, p1 the smallest', function () {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    assert.equal(percentile(sorted, 50), 5);
    assert.equal(percentile(sorted, 99), 10);
    assert.equal(percentile(sorted, 1), 1);
    assert.equal(percentile([], 50), 0);
  });

  it('rates a pass as its calls over its window, whatever order the latencies came in', function () {
    const figures = passFigures([30, 10, 20, 40], 2_000);
    assert.deepEqual(figures, { count: 4, perSecond: 2, p50Ms: 20, p95Ms: 40, p99Ms: 40, maxMs: 40 });
  });
});

describe('bench targets', function () {
  const rows = [
    pass(PASS.service, 1, 20, 50),
    pass(PASS.local, 1, 30, 30),
    pass(PASS.service, 10, 40, 250),
    pass(PASS.local, 10, 45, 200),
    pass(PASS.service, 50, 30, 1500),
    pass(PASS.local, 50, 50, 900),
  ];

  it('meets "at least" targets at or above the ratio and "at most" ones at or below it', function () {
    const targets = targetsOf(rows, pass('open loop', 0, 20, 60, 150), { sales: 100, acceptedPerSecond: 36, spreadFirstPerSecond: 40, spreadPerSecond: 55 });
    assert.deepEqual(
      targets.map((t) => [t.ratio, t.met]),
      [
        [0.89, true], // 40 of 45 at 10 clients
        [0.6, false], // 30 of 50 at 50 clients
        [1.67, true], // p50 50 ms against 30 ms, at most 2x
        [0.9, true], // 36 sales per second of the spread burst's first 40 placements per second (not of its 55)
        [3, true], // p99 150 ms against the unloaded p50 of 50 ms, at most 3x
      ],
    );
  });

  it('leaves out the ceiling targets when no ceiling was measured (BENCH_URL) and misses a target with nothing to compare', function () {
    const targets = targetsOf(rows.filter((r) => r.pass === PASS.service), undefined, { sales: 100, acceptedPerSecond: 10, spreadFirstPerSecond: 0, spreadPerSecond: 0 });
    assert.equal(targets.length, 1);
    assert.equal(targets[0]!.met, false);
  });
});

describe('bench CPU accounting', function () {
  it('reads this process’s own CPU time, and divides what a pass spent by its calls', function () {
    const before = cpuNow();
    const until = Date.now() + 60;
    while (Date.now() < until) Math.sqrt(Math.random()); // spends CPU
    const after = cpuNow();

    assert.ok((after['bench client'] ?? 0) > (before['bench client'] ?? 0), `no CPU counted: ${JSON.stringify(after)}`);
    assert.deepEqual(cpuPerCall({ api: 100, worker: 50 }, { api: 300, worker: 51, temporal: 40 }, 10), { api: 20, temporal: 4 });
    assert.equal(cpuTotal({ api: 20, temporal: 4 }), 24);
  });
});
