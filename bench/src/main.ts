/**
 * `npm run bench`: the expiration path measured against the naive baseline (a)
 * and raw Bull (b), on the local Redis and NATS. Prints a table and writes the
 * figures to bench/results/latest.json. Exits 1 if any measurement failed (a
 * goal that is not met is a finding, not a failure).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { USAGE, loadBenchSettings } from './config';
import { formatTable } from './report';
import { runBench } from './run-bench';

async function main(): Promise<number> {
  let settings;
  try {
    settings = loadBenchSettings(process.argv.slice(2));
  } catch (err) {
    console.error(`bench: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  console.log(
    `bench (${settings.mode}): scenarios ${settings.scenarios.join(', ')}; targets ${settings.targets.join(', ')}; ` +
      `service from ${settings.serviceLaunch}; child logs in ${settings.logDir}`,
  );
  const results = await runBench(settings);
  mkdirSync(path.dirname(settings.out), { recursive: true });
  writeFileSync(settings.out, `${JSON.stringify(results, null, 2)}\n`);
  console.log(`\n${formatTable(results)}\n\nwritten to ${path.relative(process.cwd(), settings.out)}`);
  return results.errors > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
