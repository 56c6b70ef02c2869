/** What one measured pass gives: how many calls, how fast, how long they took. */
export interface PassFigures {
  /** Calls that completed within the pass (whatever their answer). */
  count: number;
  /** Completed calls per second over the pass. */
  perSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

/** The nearest-rank percentile of ascending `sorted` (0 for an empty list). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Rounds to one decimal: enough for milliseconds and rates on a noisy machine. */
export function tenths(value: number): number {
  return Math.round(value * 10) / 10;
}

export function passFigures(latenciesMs: readonly number[], elapsedMs: number): PassFigures {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    perSecond: elapsedMs > 0 ? tenths((sorted.length * 1000) / elapsedMs) : 0,
    p50Ms: tenths(percentile(sorted, 50)),
    p95Ms: tenths(percentile(sorted, 95)),
    p99Ms: tenths(percentile(sorted, 99)),
    maxMs: tenths(sorted.at(-1) ?? 0),
  };
}
