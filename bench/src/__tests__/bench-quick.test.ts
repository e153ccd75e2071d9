/**
 * The CI check of the benchmark: `--quick` (a tenth of the load) must run end
 * to end on the local Redis and NATS, on all four implementations, and write
 * complete results. It asserts the shape of the results, never a timing: CI
 * machines are too noisy for that. The benchmark's progress lines are passed
 * on to stderr as they come, so a CI log shows where it is.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManagedChild } from '../lib/child-process';
import { REPO_ROOT, tsxArgs } from '../lib/paths';
import { QUICK_SCENARIOS, TARGETS } from '../config';
import type { BenchResults } from '../run-bench';
import { SCENARIO_DEFS } from '../scenarios';

let outDir: string;
let exitCode: number | null;
let stdout = '';
let results: BenchResults;

beforeAll(async () => {
  outDir = mkdtempSync(path.join(tmpdir(), 'bench-quick-'));
  const out = path.join(outDir, 'quick.json');
  const child = ManagedChild.spawn({
    name: 'bench --quick',
    command: process.execPath,
    args: [...tsxArgs(path.join('bench', 'src', 'main.ts')), '--quick', `--out=${out}`],
    cwd: REPO_ROOT,
    onLine: (line) => {
      stdout += `${line}\n`;
      process.stderr.write(`bench --quick | ${line}\n`);
    },
  });
  const exit = await child.exited;
  exitCode = exit.code;
  if (exitCode !== 0) console.error(`bench --quick failed:\n${stdout}\n${child.stderr}`);
  results = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;
}, 9 * 60_000);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('npm run bench -- --quick', () => {
  it('exits 0 and prints the table with the four implementations side by side, and the ratios', () => {
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(
      /scenario\s+figure\s+service\s+naive \(a\)\s+raw Bull \(b\)\s+raw Bull \+ publish \(c\)\s+service\/\(a\)\s+service\/\(b\)\s+service\/\(c\)/,
    );
    for (const scenario of QUICK_SCENARIOS) expect(stdout).toMatch(new RegExp(`^${scenario}\\s`, 'm'));
    // replicas starts four service processes per measurement: not part of the CI check.
    expect(results.scenarios.replicas).toBeUndefined();
  });

  it('prints one progress line per scenario and target as each ends, and no JSON', () => {
    const ends = stdout.split('\n').filter((line) => /^ {2}\S+ +(done in|FAILED after) /.test(line));
    const expected = QUICK_SCENARIOS.flatMap((scenario) =>
      TARGETS.filter((target) => !results.scenarios[scenario]?.skipped[target]),
    );

    expect(ends.map((line) => line.trim().split(/\s+/)[0])).toEqual(expected);
    expect(stdout).not.toMatch(/^\s*[{[]"/m);
  });

  it('writes every figure of every scenario for every implementation it measures, with the ratios', () => {
    expect(results).toMatchObject({ schema: 1, mode: 'quick', errors: 0 });
    for (const scenario of QUICK_SCENARIOS) {
      const report = results.scenarios[scenario];
      expect(report).toBeDefined();
      for (const target of TARGETS) {
        if (report?.skipped[target]) continue;
        const outcome = report?.results[target];
        expect(outcome).toBeDefined();
        expect(outcome).not.toHaveProperty('error');
      }
      for (const metric of SCENARIO_DEFS[scenario].metrics) {
        expect(report?.results.service?.[metric.key as never]).toBeDefined();
        // A ratio may be null (0 lost of 0, or a figure that is not a number), but it is there.
        const ratios = report?.metrics.find((m) => m.key === metric.key)?.ratios;
        expect(ratios).toHaveProperty('vsNaive');
        expect(ratios).toHaveProperty('vsRaw');
        expect(ratios).toHaveProperty('vsRawPublish');
      }
      expect(typeof report?.goal.met === 'boolean').toBe(true);
    }
  });

  it('leaves raw Bull + publish out of capacity only, saying why', () => {
    expect(results.scenarios.capacity?.skipped).toEqual({ 'raw-publish': expect.any(String) as unknown });
    for (const scenario of QUICK_SCENARIOS.filter((s) => s !== 'capacity')) {
      expect(results.scenarios[scenario]?.skipped).toEqual({});
    }
  });

  it('records the machine and its load, for BENCHMARKS.md', () => {
    expect(results.machine).toMatchObject({ cpus: expect.any(Number) as unknown, node: process.version });
    expect(results.machine.loadAverageBefore).toHaveLength(3);
  });
});
