import type { BenchSettings } from './config';
import type { RunReporter } from './progress-reporter';
import { formatValue } from './report';
import { runBench, type BenchResults } from './run-bench';
import { SCENARIO_DEFS, type Metrics } from './scenarios';

/** What `--sweep-concurrency` writes: one run of the scenarios per service concurrency. */
export interface SweepResults {
  schema: 1;
  kind: 'concurrency-sweep';
  startedAt: string;
  finishedAt: string;
  concurrencies: number[];
  runs: Array<{ concurrency: number; results: BenchResults }>;
  errors: number;
}

/**
 * Runs the selected scenarios once per concurrency in
 * `settings.sweepConcurrency`: the service's EXPIRATION_CONCURRENCY and the
 * raw workers' concurrency both take the value, so the ratio to the ceiling
 * is at equal concurrency.
 *
 * @param settings - what to run
 * @param reporter - where progress goes
 * @returns every run
 */
export async function runSweep(settings: BenchSettings, reporter: RunReporter): Promise<SweepResults> {
  const startedAt = new Date().toISOString();
  const runs: SweepResults['runs'] = [];
  for (const [i, concurrency] of settings.sweepConcurrency.entries()) {
    reporter.note(`\n=== concurrency ${concurrency} (${i + 1} of ${settings.sweepConcurrency.length})`);
    const results = await runBench(
      {
        ...settings,
        concurrency,
        serviceEnv: { ...settings.serviceEnv, EXPIRATION_CONCURRENCY: String(concurrency) },
      },
      reporter,
    );
    runs.push({ concurrency, results });
  }
  return {
    schema: 1,
    kind: 'concurrency-sweep',
    startedAt,
    finishedAt: new Date().toISOString(),
    concurrencies: settings.sweepConcurrency,
    runs,
    errors: runs.reduce((sum, r) => sum + r.results.errors, 0),
  };
}

/**
 * The sweep as one table per scenario: a row per concurrency and target with
 * every figure of the scenario, and on the service's row its headline's ratio
 * to the best ceiling measured ((c), else (b)) and whether the goal was met.
 *
 * @param sweep - the runs
 * @returns the tables, as lines
 */
export function formatSweep(sweep: SweepResults): string {
  const out: string[] = [];
  const scenarioNames = [...new Set(sweep.runs.flatMap((r) => Object.keys(r.results.scenarios)))];
  for (const name of scenarioNames) {
    const def = SCENARIO_DEFS[name as keyof typeof SCENARIO_DEFS];
    const headline = def.metrics[0];
    const rows: string[][] = [
      ['concurrency', 'target', ...def.metrics.map((m) => m.label.trim()), 'service/ceiling', 'goal'],
    ];
    for (const { concurrency, results } of sweep.runs) {
      const report = results.scenarios[def.name];
      if (!report) continue;
      for (const [j, target] of results.setup.targets.entries()) {
        const outcome = report.results[target];
        if (!outcome) continue;
        const failed = 'error' in outcome && typeof outcome.error === 'string';
        const values = def.metrics.map((m) => (failed ? 'FAILED' : formatValue((outcome as Metrics)[m.key])));
        let ratio = '';
        let goal = '';
        if (target === 'service') {
          const ratios = report.metrics.find((m) => m.key === headline.key)?.ratios;
          const r = ratios?.vsRawPublish ?? ratios?.vsRaw ?? null;
          ratio = r === null ? '-' : `${r.toFixed(2)}x`;
          goal = report.goal.met === null ? 'n/a' : report.goal.met ? 'MET' : 'NOT MET';
        }
        rows.push([j === 0 ? String(concurrency) : '', target, ...values, ratio, goal]);
      }
    }
    const widths = rows[0].map((_, col) => Math.max(...rows.map((r) => r[col].length)));
    const line = (r: string[]) =>
      r.map((c, col) => (col < 2 ? c.padEnd(widths[col]) : c.padStart(widths[col]))).join('  ');
    out.push(
      `${name}: ${def.title}`,
      line(rows[0]),
      widths.map((w) => '-'.repeat(w)).join('  '),
      ...rows.slice(1).map(line),
      '',
    );
  }
  const loads = sweep.runs.map((r) => `${r.concurrency}: ${r.results.machine.loadAverageBefore[0]}`).join(', ');
  out.push(`load average (1 min) before each run: ${loads}`);
  return out.join('\n');
}
