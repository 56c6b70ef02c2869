import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const GUARD = resolve(__dirname, '..', 'child-guard.mjs');
/** How long the guard lets its command stop before it kills it; the chaos run only ever kills, so short. */
const GUARD_GRACE_MS = 2_000;
const RESTART_DELAY_MS = 300;
const MAX_RESTART_DELAY_MS = 5_000;

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** Everything the process prints goes here. */
  logFile: string;
  /** Runs as this user: PostgreSQL refuses to run as root. */
  user?: { uid: number; gid: number };
  /** What ends it at the end of the run (SIGKILL unless it has children to take down with it). */
  stopSignal?: NodeJS.Signals;
  /**
   * Whether the process serves now. `output` is what it printed since its latest start, for the
   * processes whose readiness is a line they log.
   */
  ready(output: string): Promise<boolean> | boolean;
}

/**
 * One process the chaos run keeps alive: whenever it dies (killed here or crashing on its own,
 * say a worker that found the database gone), it is started again, a little later each time it
 * dies straight after starting. It runs under scripts/child-guard.mjs as the leader of a process
 * group of its own, so a kill takes the whole group at once and nothing outlives the chaos run,
 * even when that is killed with SIGKILL.
 */
export class SupervisedProcess {
  /** Starts after the first: what the supervisor did. */
  restarts = 0;
  private child: ChildProcess | undefined;
  private stopped = false;
  private logOffset = 0;
  private quickDeaths = 0;
  private startedAt = 0;

  constructor(
    readonly spec: ProcessSpec,
    private readonly note: (line: string) => void,
  ) {}

  start(): void {
    if (this.stopped) return;
    this.logOffset = fileSize(this.spec.logFile);
    this.startedAt = Date.now();
    const log = openSync(this.spec.logFile, 'a');
    try {
      const child = spawn(process.execPath, [GUARD, String(GUARD_GRACE_MS), this.spec.command, ...this.spec.args], {
        env: this.spec.env,
        detached: true,
        // The guard's stdin is a pipe nobody writes: it closes when this process dies, however.
        stdio: ['pipe', log, log],
        ...(this.spec.user ?? {}),
      });
      this.child = child;
      child.once('exit', (code, signal) => this.died(child, signal ?? `code ${code}`));
    } finally {
      closeSync(log);
    }
  }

  /** The process group's id (the guard's pid), while it runs. */
  get groupId(): number | undefined {
    return this.child?.exitCode === null && this.child.signalCode === null ? this.child.pid : undefined;
  }

  /** Sends the signal to the whole group: the command, the guard and anything the command started. */
  signalGroup(signal: NodeJS.Signals): boolean {
    const group = this.groupId;
    if (group === undefined) return false;
    try {
      process.kill(-group, signal);
      return true;
    } catch {
      return false;
    }
  }

  async isReady(): Promise<boolean> {
    if (this.groupId === undefined) return false;
    try {
      return await this.spec.ready(this.outputSinceStart());
    } catch {
      return false;
    }
  }

  /** Waits until the process serves; false when it did not within the time. */
  async waitReady(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (await this.isReady()) return true;
      await sleep(200);
    }
    return false;
  }

  /**
   * Stops supervising and ends the group with its stop signal; resolves once the guard is gone
   * (the guard kills the group if the command outstays its grace period).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolveExit) => child.once('exit', () => resolveExit()));
    this.signalGroup(this.spec.stopSignal ?? 'SIGKILL');
    await exited;
  }

  /** The last warnings and errors the process logged (pino level 40 and up), for a report. */
  lastWarnings(lines: number): string[] {
    const warning = (line: string) => {
      try {
        return Number((JSON.parse(line) as { level?: unknown }).level) >= 40;
      } catch {
        return false;
      }
    };
    return readFileSync(this.spec.logFile, 'utf8').split('\n').filter(warning).slice(-lines);
  }

  private outputSinceStart(): string {
    const text = readFileSync(this.spec.logFile);
    return text.subarray(this.logOffset).toString('utf8');
  }

  private died(child: ChildProcess, how: string): void {
    if (this.child !== child || this.stopped) return;
    this.child = undefined;
    this.quickDeaths = Date.now() - this.startedAt < 5_000 ? this.quickDeaths + 1 : 0;
    const delay = Math.min(RESTART_DELAY_MS * 2 ** this.quickDeaths, MAX_RESTART_DELAY_MS);
    this.note(`${this.spec.name} exited (${how}); restarting in ${delay} ms`);
    setTimeout(() => {
      this.restarts += 1;
      this.start();
    }, delay);
  }
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/** The log file of a process named `name` in `dir`. */
export function logFileIn(dir: string, name: string): string {
  return join(dir, `${name}.log`);
}
