// The run's figures as Markdown tables (docs/bench/results.md), ready for the README's Speed section.
import { FLASH_UNITS } from './catalog';
import { cpuTotal } from './cpu';
import type { PassRow, Target } from './targets';

export interface MarkdownInput {
  when: string;
  load: string;
  rows: PassRow[];
  halfPeak?: PassRow;
  bursts: Array<{ name: string; placementsPerSecond: number; firstPlacementsPerSecond?: number; acceptedPerSecond?: number; refusalP99Ms?: number; elapsedS: number; retriedAfter503: number; answers: Record<string, number> }>;
  mixed: { placed: number; refused: number; endStatuses: Record<string, number>; violations: string[] };
  relay: Record<string, string | number>;
  targets: Target[];
}

function table(header: string[], lines: Array<Array<string | number>>): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

const answersText = (answers: Record<string, number>) =>
  Object.entries(answers)
    .map(([answer, n]) => `${n}× ${answer}`)
    .join(', ');

/** CPU milliseconds one call cost each process, for the passes that measured it. */
function cpuTable(rows: PassRow[]): string {
  const measured = rows.filter((r) => r.cpuMsPerCall && Object.keys(r.cpuMsPerCall).length > 0);
  const roles = [...new Set(measured.flatMap((r) => Object.keys(r.cpuMsPerCall!)))].sort();
  if (measured.length === 0) return '';
  return table(
    ['CPU ms per call', 'clients', ...roles, 'total'],
    measured.map((r) => [
      r.pass,
      r.clients,
      ...roles.map((role) => r.cpuMsPerCall![role] ?? ''),
      cpuTotal(r.cpuMsPerCall!),
    ]),
  );
}

export function resultsMarkdown(input: MarkdownInput): string {
  const passes = [...input.rows, ...(input.halfPeak ? [input.halfPeak] : [])];
  return [
    `Run of ${input.when}; ${input.load}.`,
    '',
    table(
      ['pass', 'clients', 'calls/s', 'p50 ms', 'p95 ms', 'p99 ms'],
      passes.map((r) => [r.pass, r.clients || 'open loop', r.perSecond, r.p50Ms, r.p95Ms, r.p99Ms]),
    ),
    '',
    table(
      ['burst', 'placements/s', `first ${FLASH_UNITS}/s`, 'accepted/s', 'refusals p99 ms', 'took s', '503s retried', 'answers'],
      input.bursts.map((b) => [
        b.name,
        b.placementsPerSecond,
        b.firstPlacementsPerSecond ?? '',
        b.acceptedPerSecond ?? '',
        b.refusalP99Ms ?? '',
        b.elapsedS,
        b.retriedAfter503,
        answersText(b.answers),
      ]),
    ),
    '',
    cpuTable(input.rows),
    '',
    table(
      ['mixed run', 'placed', 'refused (409)', 'end states', 'violations'],
      [['place, pay, cancel, decline, expire', input.mixed.placed, input.mixed.refused, answersText(input.mixed.endStatuses), input.mixed.violations.length]],
    ),
    '',
    table(['target', 'measured', 'ratio', 'limit', 'result'], input.targets.map((t) => [t.target, t.measured, t.ratio, t.limit, t.met ? 'met' : '**missed**'])),
    '',
    table(['outbox relay', ''], Object.entries(input.relay).map(([k, v]) => [k, v])),
    '',
  ].join('\n');
}
