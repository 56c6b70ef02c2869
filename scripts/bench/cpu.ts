// Where the CPU goes: the CPU time of the bench and every process it started (the stack's API,
// worker, Temporal server, PostgreSQL, nats-server, the ceilings' worker), by role, read from
// /proc. Read before and after a pass, it tells what one call cost each process, so a missed
// target can be explained by measurement. Linux only; elsewhere nothing is counted.
import { readdirSync, readFileSync } from 'node:fs';

/** CPU milliseconds by role. */
export type CpuByRole = Record<string, number>;

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux the bench runs on

/** The role a process plays, by its command line. */
function roleOf(pid: number, commandLine: string): string {
  if (pid === process.pid) return 'bench client';
  if (commandLine.includes('workers/main.ts')) return 'worker';
  if (commandLine.includes('api/main.ts')) return 'api';
  if (commandLine.includes('ceiling-worker.ts')) return 'ceiling worker';
  if (commandLine.includes('server start-dev')) return 'temporal';
  if (commandLine.startsWith('postgres') || /\/bin\/postgres /.test(commandLine)) return 'postgres';
  if (commandLine.includes('nats-server')) return 'nats';
  return 'other';
}

interface ProcessTimes {
  pid: number;
  ppid: number;
  ticks: number;
  commandLine: string;
}

function processes(): ProcessTimes[] {
  const found: ProcessTimes[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return found;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // The command name may hold spaces and parentheses: the fields start after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const commandLine = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      // utime and stime: the 14th and 15th fields of stat, the 12th and 13th after the name.
      found.push({ pid: Number(entry), ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]), commandLine });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/** CPU time used so far by this process and its descendants, by role. */
export function cpuNow(): CpuByRole {
  const all = processes();
  const children = new Map<number, ProcessTimes[]>();
  for (const p of all) {
    const siblings = children.get(p.ppid);
    if (siblings) siblings.push(p);
    else children.set(p.ppid, [p]);
  }
  const byRole: CpuByRole = {};
  const self = all.find((p) => p.pid === process.pid);
  const queue = self ? [self] : [];
  for (let p = queue.shift(); p; p = queue.shift()) {
    const role = roleOf(p.pid, p.commandLine);
    byRole[role] = (byRole[role] ?? 0) + (p.ticks * 1000) / TICKS_PER_SECOND;
    queue.push(...(children.get(p.pid) ?? []));
  }
  return byRole;
}

/**
 * CPU milliseconds per call by role between two readings, rounded; roles under half a
 * millisecond a call are left out. A process that ended in between is not counted.
 */
export function cpuPerCall(before: CpuByRole, after: CpuByRole, calls: number): CpuByRole {
  const perCall: CpuByRole = {};
  if (calls <= 0) return perCall;
  for (const [role, ms] of Object.entries(after)) {
    const spent = (ms - (before[role] ?? 0)) / calls;
    if (spent >= 0.5) perCall[role] = Math.round(spent * 10) / 10;
  }
  return perCall;
}

/** The total of a per-call reading. */
export function cpuTotal(perCall: CpuByRole): number {
  return Math.round(Object.values(perCall).reduce((sum, ms) => sum + ms, 0) * 10) / 10;
}
