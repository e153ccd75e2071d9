/**
 * `npm run bench`: the expiration path measured against the naive baseline
 * (a), raw Bull (b) and raw Bull + publish (c), on the local Redis and NATS.
 * Shows progress while it runs, then prints a table; the figures go to
 * bench/results/latest.json. With `--sweep-concurrency`, one run per service
 * concurrency and a table of them. Exits 1 if any measurement failed (a goal
 * that is not met is a finding, not a failure).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { USAGE, loadBenchSettings } from './config';
import { TerminalReporter } from './progress-reporter';
import { formatTable } from './report';
import { runBench } from './run-bench';
import { formatSweep, runSweep } from './sweep';

async function main(): Promise<number> {
  let settings;
  try {
    settings = loadBenchSettings(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const sweep = settings.sweepConcurrency.length ? `; concurrency ${settings.sweepConcurrency.join(', ')}` : '';
  const profiles = settings.serviceNodeArgs.includes('--cpu-prof') ? ' (and the service CPU profiles)' : '';
  console.log(
    `bench (${settings.mode}): scenarios ${settings.scenarios.join(', ')}; targets ${settings.targets.join(', ')}${sweep}; ` +
      `service from ${settings.serviceLaunch}; child logs${profiles} in ${settings.logDir}`,
  );
  const reporter = new TerminalReporter();
  const run = settings.sweepConcurrency.length
    ? await runSweep(settings, reporter).then((results) => ({ results, table: formatSweep(results) }))
    : await runBench(settings, reporter).then((results) => ({ results, table: formatTable(results) }));
  mkdirSync(path.dirname(settings.out), { recursive: true });
  writeFileSync(settings.out, `${JSON.stringify(run.results, null, 2)}\n`);
  console.log(`\n${run.table}\n\nwritten to ${path.relative(process.cwd(), settings.out)}`);
  return run.results.errors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
