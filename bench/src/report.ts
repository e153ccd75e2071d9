import type { TargetName } from './config';
import type { BenchResults, TargetOutcome } from './run-bench';

const COLUMNS: Array<{ target: TargetName; title: string }> = [
  { target: 'service', title: 'service' },
  { target: 'naive', title: 'naive (a)' },
  { target: 'raw', title: 'raw Bull (b)' },
];

/**
 * The results as a plain-text table: one row per figure, the three
 * implementations side by side, then the service's ratio to (a) and to (b).
 *
 * @param results - a run
 * @returns the table and the goals, as lines
 */
export function formatTable(results: BenchResults): string {
  const rows: string[][] = [['scenario', 'figure', ...COLUMNS.map((c) => c.title), 'service/(a)', 'service/(b)']];
  for (const [name, report] of Object.entries(results.scenarios)) {
    if (!report) continue;
    report.metrics.forEach((m, i) => {
      rows.push([
        i === 0 ? name : '',
        m.label,
        ...COLUMNS.map((c) => cell(report.results[c.target], m.key)),
        ratio(m.ratios.vsNaive),
        ratio(m.ratios.vsRaw),
      ]);
    });
  }
  const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
  const line = (r: string[]) =>
    r.map((c, col) => (col < 2 ? c.padEnd(widths[col]) : c.padStart(widths[col]))).join('  ');
  const out = [line(rows[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.slice(1).map(line)];

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
  const v = (outcome as Record<string, unknown>)[key];
  if (typeof v === 'number') return formatNumber(v);
  if (v === null || v === undefined) return '-';
  return String(v);
}

function formatNumber(v: number): string {
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return Math.abs(v) >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1);
}

function ratio(r: number | null): string {
  if (r === null) return '-';
  return r >= 100 ? `${Math.round(r)}x` : `${r.toFixed(2)}x`;
}
