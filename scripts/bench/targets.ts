// Issue 9's targets, as ratios between figures of one run.
import type { PassFigures } from './figures';

export const PASS = {
  service: 'placement over HTTP',
  regular: 'empty saga, regular activities',
  local: 'empty saga, local activities',
  database: 'database: conditional UPDATE',
} as const;

/** One closed-loop pass (clients 0: the open loop). */
export interface PassRow extends PassFigures {
  pass: string;
  clients: number;
  answers: Record<string, number>;
  /** CPU milliseconds one call cost each process, over the measured window (scripts/bench/cpu.ts). */
  cpuMsPerCall?: Record<string, number>;
}

export interface Target {
  target: string;
  measured: string;
  ratio: number;
  limit: string;
  met: boolean;
}

export function passOf(rows: readonly PassRow[], pass: string, clients: number): PassRow | undefined {
  return rows.find((r) => r.pass === pass && r.clients === clients);
}

function ratioTarget(target: string, measured: number, against: number, limit: number, bound: 'at least' | 'at most', detail: string): Target {
  const ratio = against > 0 ? measured / against : Number.NaN;
  return {
    target,
    measured: detail,
    ratio: Math.round(ratio * 100) / 100,
    limit: `${bound === 'at most' ? '≤' : '≥'} ${limit}`,
    // NaN (nothing to compare with) meets neither bound.
    met: bound === 'at most' ? ratio <= limit : ratio >= limit,
  };
}

/**
 * - placement ≥ 80% of the local-activity empty saga's throughput at 10 and at 50 clients;
 * - unloaded (1 client) placement p50 ≤ 2× the local-activity empty saga's;
 * - the flash sale's accepted placements/s ≥ 90% of placements/s spread over many SKUs, taken
 *   as the spread burst's first as many placements as the flash sale has units;
 * - p99 at half the peak placement rate (open loop) ≤ 3× the unloaded p50.
 * A target whose figures were not measured (no ceilings with BENCH_URL) is left out.
 */
export function targetsOf(
  rows: readonly PassRow[],
  halfPeak: PassRow | undefined,
  flash: { sales: number; acceptedPerSecond: number; spreadFirstPerSecond: number; spreadPerSecond: number },
): Target[] {
  const targets: Target[] = [];
  for (const clients of [10, 50]) {
    const service = passOf(rows, PASS.service, clients);
    const local = passOf(rows, PASS.local, clients);
    if (service && local) {
      targets.push(
        ratioTarget(`placement ≥ 80% of the local-activity empty saga at ${clients} clients`, service.perSecond, local.perSecond, 0.8, 'at least', `${service.perSecond}/s vs ${local.perSecond}/s`),
      );
    }
  }
  const unloaded = passOf(rows, PASS.service, 1);
  const localUnloaded = passOf(rows, PASS.local, 1);
  if (unloaded && localUnloaded) {
    targets.push(
      ratioTarget("unloaded p50 ≤ 2× the empty saga's (local activities)", unloaded.p50Ms, localUnloaded.p50Ms, 2, 'at most', `${unloaded.p50Ms} ms vs ${localUnloaded.p50Ms} ms`),
    );
  }
  // Against as many placements of a burst as large: the whole burst's rate would count its
  // ramp-up (the first answers take a while for 100 answers and 1,000 alike) ten times less.
  targets.push(
    ratioTarget(
      `flash sale: accepted/s ≥ 90% of the spread burst's first ${flash.sales} placements/s`,
      flash.acceptedPerSecond,
      flash.spreadFirstPerSecond,
      0.9,
      'at least',
      `${flash.acceptedPerSecond}/s vs ${flash.spreadFirstPerSecond}/s (the whole spread burst: ${flash.spreadPerSecond}/s)`,
    ),
  );
  if (halfPeak && unloaded) {
    targets.push(
      ratioTarget(`p99 at half the peak rate (${halfPeak.perSecond}/s answered) ≤ 3× the unloaded p50`, halfPeak.p99Ms, unloaded.p50Ms, 3, 'at most', `${halfPeak.p99Ms} ms vs ${unloaded.p50Ms} ms`),
    );
  }
  return targets;
}
