/**
 * The CI check of the benchmark: `--quick` (a tenth of the load) must run end
 * to end on the local Redis and NATS and write complete results. It asserts
 * the shape of the results, never a timing: CI machines are too noisy for that.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ManagedChild } from '../lib/child-process';
import { REPO_ROOT, tsxArgs } from '../lib/paths';
import { SCENARIOS, TARGETS } from '../config';
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
  it('exits 0 and prints the table with the service, the naive baseline and raw Bull side by side', () => {
    expect(exitCode).toBe(0);
    expect(stdout).toMatch(
      /scenario\s+figure\s+service\s+naive \(a\)\s+raw Bull \(b\)\s+service\/\(a\)\s+service\/\(b\)/,
    );
    for (const scenario of SCENARIOS) expect(stdout).toMatch(new RegExp(`^${scenario}\\s`, 'm'));
  });

  it('writes every figure of every scenario for all three implementations, with the ratios', () => {
    expect(results).toMatchObject({ schema: 1, mode: 'quick', errors: 0 });
    for (const scenario of SCENARIOS) {
      const report = results.scenarios[scenario];
      expect(report).toBeDefined();
      for (const target of TARGETS) {
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
      }
      expect(typeof report?.goal.met === 'boolean').toBe(true);
    }
  });

  it('records the machine and its load, for BENCHMARKS.md', () => {
    expect(results.machine).toMatchObject({ cpus: expect.any(Number) as unknown, node: process.version });
    expect(results.machine.loadAverageBefore).toHaveLength(3);
  });
});
