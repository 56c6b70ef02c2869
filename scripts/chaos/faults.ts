import { setTimeout as sleep } from 'node:timers/promises';
import type { ChaosStack } from './stack';
import type { SupervisedProcess } from './supervised-process';

/** The faults the run injects, each a crash with no warning. */
export const FAULTS = ['worker kill -9', 'temporal kill -9', 'postgres immediate stop', 'postgres kill -9', 'api kill -9'] as const;
export type Fault = (typeof FAULTS)[number];

export interface FaultTally {
  /** Faults injected, by kind. */
  injected: Record<Fault, number>;
  /** Faults after which the crashed process came back and served again. */
  survived: Record<Fault, number>;
  /** Faults after which it did not come back in time: each a violation. */
  notBack: string[];
}

export interface FaultOptions {
  until: number;
  /** Pause between one fault's recovery and the next fault: uniformly between min and max. */
  gapMs: { min: number; max: number };
  /** How long a crashed process may take to serve again. */
  recoveryTimeoutMs: number;
  note(line: string): void;
}

export function emptyTally(): FaultTally {
  const zero = () => Object.fromEntries(FAULTS.map((fault) => [fault, 0])) as Record<Fault, number>;
  return { injected: zero(), survived: zero(), notBack: [] };
}

/**
 * Crashes one part of the stack at a time, in a shuffled round of every kind, until `until`:
 * the worker, the Temporal server and the API by SIGKILL to their process group; PostgreSQL by
 * an immediate stop (SIGQUIT to the postmaster, what `pg_ctl stop -m immediate` sends: no
 * checkpoint, crash recovery on the next start) or by SIGKILL to the postmaster (its backends,
 * process groups of their own, notice and quit; a restart before they have is refused and
 * retried). The supervisor restarts what died; the next fault waits until the whole stack serves
 * again.
 */
export async function runFaults(stack: ChaosStack, options: FaultOptions, tally: FaultTally): Promise<void> {
  let round: Fault[] = [];
  while (Date.now() < options.until) {
    await sleep(options.gapMs.min + Math.random() * (options.gapMs.max - options.gapMs.min));
    if (Date.now() >= options.until) return;
    if (round.length === 0) round = shuffled([...FAULTS]);
    const fault = round.pop()!;
    const target = targetOf(stack, fault);
    if (!(await target.isReady())) continue;
    if (!inject(stack, fault)) continue;
    tally.injected[fault] += 1;
    options.note(`fault: ${fault}`);
    // Wait for the supervisor to notice and restart it, then for it (and everything) to serve.
    await sleep(500);
    const back = await allReady(stack, options.recoveryTimeoutMs);
    if (back) tally.survived[fault] += 1;
    else tally.notBack.push(`${fault}: the stack did not serve again within ${options.recoveryTimeoutMs / 1000}s`);
  }
}

/** Waits until every process of the stack serves; false when one did not within the time. */
export async function allReady(stack: ChaosStack, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (const service of stack.all()) {
    if (!(await service.waitReady(Math.max(deadline - Date.now(), 0)))) return false;
  }
  return true;
}

function targetOf(stack: ChaosStack, fault: Fault): SupervisedProcess {
  if (fault.startsWith('worker')) return stack.worker;
  if (fault.startsWith('temporal')) return stack.temporal;
  if (fault.startsWith('postgres')) return stack.postgres;
  return stack.api;
}

function inject(stack: ChaosStack, fault: Fault): boolean {
  if (fault === 'postgres immediate stop') {
    const postmaster = stack.postmasterPid();
    if (postmaster === undefined) return false;
    try {
      process.kill(postmaster, 'SIGQUIT');
      return true;
    } catch {
      return false;
    }
  }
  return targetOf(stack, fault).signalGroup('SIGKILL');
}

function shuffled<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
  return items;
}
