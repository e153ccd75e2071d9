import type { TargetName } from './config';
import type { BenchResults, Ratios, TargetOutcome } from './run-bench';

/** The implementations side by side, and the ratio column of each baseline. */
const COLUMNS: Array<{ target: TargetName; title: string; ratio?: { title: string; key: keyof Ratios } }> = [
  { target: 'service', title: 'service' },
  { target: 'naive', title: 'naive (a)', ratio: { title: 'service/(a)', key: 'vsNaive' } },
  { target: 'raw', title: 'raw Bull (b)', ratio: { title: 'service/(b)', key: 'vsRaw' } },
  {
    target: 'raw-publish',
    title: 'raw Bull + publish (c)',
    ratio: { title: 'service/(c)', key: 'vsRawPublish' },
  },
];

/**
 * The results as a plain-text table: one row per figure, the implementations
 * side by side, then the service's ratio to (a), (b) and (c). Only the
 * targets of the run get a column.
 *
 * @param results - a run
 * @returns the table and the goals, as lines
 */
export function formatTable(results: BenchResults): string {
  const columns = COLUMNS.filter((c) => results.setup.targets.includes(c.target));
  const ratioColumns = columns.flatMap((c) => (c.ratio ? [c.ratio] : []));
  const rows: string[][] = [
    ['scenario', 'figure', ...columns.map((c) => c.title), ...ratioColumns.map((r) => r.title)],
  ];
  for (const [name, report] of Object.entries(results.scenarios)) {
    if (!report) continue;
    report.metrics.forEach((m, i) => {
      rows.push([
        i === 0 ? name : '',
        m.label,
        ...columns.map((c) => cell(report.results[c.target], m.key)),
        ...ratioColumns.map((r) => ratio(m.ratios[r.key])),
      ]);
    });
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  const line = (r: string[]) =>
    r.map((c, col) => (col < 2 ? c.padEnd(widths[col]) : c.padStart(widths[col]))).join('  ');
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];

  const skipped = Object.entries(results.scenarios).flatMap(([name, report]) =>
    Object.entries(report?.skipped ?? {}).map(([target, why]) => `  ${name} leaves out ${target}: it ${why}`),
  );
  if (skipped.length) out.push('', ...skipped);

  out.push('', 'goals (the service):');
  for (const [name, report] of Object.entries(results.scenarios)) {
    if (!report) continue;
    const met = report.goal.met === null ? 'n/a' : report.goal.met ? 'MET' : 'NOT MET';
    out.push(`  ${name.padEnd(10)} ${met.padEnd(8)} ${report.goal.text}: ${report.goal.measured}`);
  }
  const m = results.machine;
  out.push(
    '',
    `${results.mode} run, ${(results.durationMs / 1000).toFixed(0)} s; ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB; ` +
      `node ${m.node}, redis ${m.redis}, nats ${m.nats}; load ${m.loadAverageBefore.join(' ')} -> ${m.loadAverageAfter.join(' ')}; ` +
      `service: ${results.setup.serviceLaunch}, concurrency ${results.setup.concurrency}`,
  );
  return out.join('\n');
}

function cell(outcome: TargetOutcome | undefined, key: string): string {
  if (!outcome) return '-';
  if ('error' in outcome && typeof outcome.error === 'string') return 'FAILED';
  return formatValue((outcome as Record<string, unknown>)[key]);
}

/**
 * A figure as the table shows it: integers with thousands separators, other
 * numbers to one decimal below 100, `-` for none.
 *
 * @param v - a figure
 */
export function formatValue(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (typeof v !== 'number') return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

function ratio(r: number | null): string {
  if (r === null) return '-';
  return r >= 100 ? `${Math.round(r)}x` : `${r.toFixed(2)}x`;
}
