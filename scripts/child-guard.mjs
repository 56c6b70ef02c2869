// Runs one child of `npm start` (scripts/dev-stack.ts) so that it can never outlive the launcher.
//
//   node scripts/child-guard.mjs <grace-ms> <command> [args...]
//
// The launcher starts this guard as the leader of a new process group, with a pipe as its stdin
// that the launcher never writes to. The command runs in the same group. Stops:
// - The launcher stops the child by signalling the whole group: the command gets the signal
//   itself; the guard only waits, and kills the group if the command is still there after the
//   grace period.
// - The launcher dies, even by SIGKILL: the kernel closes its end of the pipe, stdin ends here,
//   and the guard sends the group SIGTERM, then SIGKILL after the grace period.
// The guard exits with the command's status, so the launcher sees the child end.
import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const [graceText, command, ...args] = process.argv.slice(2);
const graceMs = Number(graceText);
if (!command || !Number.isInteger(graceMs) || graceMs <= 0) {
  process.stderr.write('usage: node scripts/child-guard.mjs <grace-ms> <command> [args...]\n');
  process.exit(2);
}

const child = spawn(command, args, { stdio: ['ignore', 'inherit', 'inherit'] });

function signalGroup(signal) {
  try {
    process.kill(-process.pid, signal);
  } catch {
    // The group is gone already.
  }
}

let killTimer;
function killAfterGrace() {
  killTimer ??= setTimeout(() => signalGroup('SIGKILL'), graceMs);
}

// The group got the signal, the command included: a second one would cut its graceful stop short.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, killAfterGrace);

let orphaned = false;
function launcherGone() {
  if (orphaned) return;
  orphaned = true;
  signalGroup('SIGTERM');
  killAfterGrace();
}
process.stdin.on('end', launcherGone);
process.stdin.on('close', launcherGone);
process.stdin.on('error', launcherGone);
process.stdin.resume();

child.once('error', (err) => {
  process.stderr.write(`could not start ${command}: ${err.message}\n`);
  process.exit(127);
});
child.once('exit', (code, signal) => {
  process.exit(code ?? 128 + (constants.signals[signal] ?? 0));
});
