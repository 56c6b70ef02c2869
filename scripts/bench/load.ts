// The load shapes the bench drives: closed loops (N clients, each sends its next call when the
// last one answered), an open loop (calls at a fixed rate, however many are outstanding), and a
// burst (N clients, one call each, all at once).
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { passFigures, type PassFigures } from './figures';

/** One call of a client; resolves to a label of its answer (`201`, `409`, `error`, ...). */
export type Call = (client: number) => Promise<string>;

/** One answered call, its times in ms from the start of the measured window. */
export interface Sample {
  outcome: string;
  startMs: number;
  endMs: number;
  latencyMs: number;
}

export interface LoadResult {
  figures: PassFigures;
  /** Answers counted by label. */
  outcomes: Record<string, number>;
  samples: Sample[];
}

function resultOf(samples: Sample[], elapsedMs: number): LoadResult {
  const outcomes: Record<string, number> = {};
  for (const { outcome } of samples) outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
  return { figures: passFigures(samples.map((s) => s.latencyMs), elapsedMs), outcomes, samples };
}

/**
 * `clients` clients call back to back: for `warmupMs` uncounted (connections, caches, the JIT,
 * the first burst of simultaneous starts), then in a window of `durationMs` that stays open until
 * every client has answered twice on average (a slow pass still gives a rate and percentiles), but
 * no longer than `maxDurationMs`. Counted: the calls that answered within the window; the rate is
 * their number over the window's length. `onWindow` hears when the window opens and closes.
 */
export async function closedLoop(options: {
  clients: number;
  warmupMs: number;
  durationMs: number;
  maxDurationMs?: number;
  call: Call;
  onWindow?: (edge: 'opened' | 'closed') => void;
}): Promise<LoadResult> {
  const windowStart = performance.now() + options.warmupMs;
  const opening = setTimeout(() => options.onWindow?.('opened'), options.warmupMs);
  const earliestEnd = windowStart + options.durationMs;
  const latestEnd = windowStart + (options.maxDurationMs ?? options.durationMs * 3);
  const enough = options.clients * 2;
  const samples: Sample[] = [];
  let windowEnd: number | undefined;
  async function client(index: number): Promise<void> {
    while (windowEnd === undefined) {
      const started = performance.now();
      const outcome = await options.call(index);
      const ended = performance.now();
      if (windowEnd !== undefined || ended < windowStart) continue;
      samples.push({ outcome, startMs: started - windowStart, endMs: ended - windowStart, latencyMs: ended - started });
      if (ended >= latestEnd || (ended >= earliestEnd && samples.length >= enough)) {
        windowEnd = ended;
        options.onWindow?.('closed');
      }
    }
  }
  await Promise.all(Array.from({ length: options.clients }, (_, i) => client(i)));
  clearTimeout(opening);
  return resultOf(samples, (windowEnd ?? windowStart) - windowStart);
}

/**
 * Calls at `ratePerSecond` for `durationMs`, each on its own, whatever is still outstanding. A
 * call's latency counts from when it was due, so a generator that falls behind cannot hide the wait.
 */
export async function openLoop(options: { ratePerSecond: number; durationMs: number; call: Call }): Promise<LoadResult> {
  const intervalMs = 1000 / options.ratePerSecond;
  const total = Math.max(1, Math.round((options.durationMs / 1000) * options.ratePerSecond));
  const start = performance.now();
  const samples: Sample[] = [];
  const inFlight: Promise<void>[] = [];
  let lastEnd = start;
  for (let k = 0; k < total; k++) {
    const due = start + k * intervalMs;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    inFlight.push(
      options.call(k).then((outcome) => {
        const ended = performance.now();
        lastEnd = Math.max(lastEnd, ended);
        samples.push({ outcome, startMs: due - start, endMs: ended - start, latencyMs: ended - due });
      }),
    );
  }
  await Promise.all(inFlight);
  return resultOf(samples, lastEnd - start);
}

/** `clients` calls released together; the rate is all of them over the time until the last answered. */
export async function burst(options: { clients: number; call: Call }): Promise<LoadResult> {
  const start = performance.now();
  const samples: Sample[] = [];
  let lastEnd = start;
  await Promise.all(
    Array.from({ length: options.clients }, async (_, index) => {
      const outcome = await options.call(index);
      const ended = performance.now();
      lastEnd = Math.max(lastEnd, ended);
      samples.push({ outcome, startMs: 0, endMs: ended - start, latencyMs: ended - start });
    }),
  );
  return resultOf(samples, lastEnd - start);
}
