/**
 * Where a process's CPU time went: reads `.cpuprofile` files (from
 * `npm run bench -- --node-arg=--cpu-prof`, written to the run's log folder)
 * and prints the self time by group (ioredis, bull, nats, pino, zod, the
 * repository's own code, node internals, GC...) and the top functions, as
 * percentages of the busy (not idle) time.
 *
 *   node --import tsx bench/src/profile-summary.ts [--top=N] [--split-idle=MS] FILE_OR_FOLDER...
 *
 * `--split-idle=MS` summarises each busy stretch on its own, cutting wherever
 * the process was idle for MS or more: in the burst scenario, storing the
 * orders and firing them come apart.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { summarizeProfile, type CpuProfile, type ProfileSlice } from './lib/cpu-profile';
import { REPO_ROOT } from './lib/paths';

const USAGE = `node --import tsx bench/src/profile-summary.ts [options] FILE_OR_FOLDER...
  --top=N            functions listed per summary (default 15)
  --split-idle=MS    one summary per busy stretch, cut at idle gaps of MS or more
  --min-busy-ms=MS   with --split-idle, stretches busier than this are shown (default 200)`;

function main(): number {
  const { values, positionals } = parseArgs({
    options: {
      top: { type: 'string', default: '15' },
      'split-idle': { type: 'string' },
      'min-busy-ms': { type: 'string', default: '200' },
      help: { type: 'boolean', default: false },
    },
    allowPositionals: true,
  });
  if (values.help || positionals.length === 0) {
    console.log(USAGE);
    return values.help ? 0 : 2;
  }
  const top = Number(values.top);
  const splitIdleMs = values['split-idle'] === undefined ? undefined : Number(values['split-idle']);
  const minBusyMs = Number(values['min-busy-ms']);
  for (const file of positionals.flatMap(profileFiles)) {
    const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
    const slices = summarizeProfile(profile, { repoRoot: REPO_ROOT, splitIdleMs });
    const totalMs = (profile.endTime - profile.startTime) / 1000;
    const busyMs = slices.reduce((sum, s) => sum + s.busyMs, 0);
    const name = path.relative(process.cwd(), file);
    console.log(`\n${name}: ${seconds(totalMs)} profiled, ${seconds(busyMs)} busy`);
    const shown = splitIdleMs === undefined ? slices : slices.filter((s) => s.busyMs >= minBusyMs);
    for (const slice of shown) console.log(formatSlice(slice, top, splitIdleMs !== undefined));
    const hidden = slices.length - shown.length;
    if (hidden > 0) {
      const ms = slices.filter((s) => !shown.includes(s)).reduce((sum, s) => sum + s.busyMs, 0);
      console.log(`\n  and ${hidden} shorter stretches, ${Math.round(ms)} ms busy in all`);
    }
  }
  return 0;
}

/** A `.cpuprofile` file, or those anywhere under a folder. */
function profileFiles(arg: string): string[] {
  if (!statSync(arg).isDirectory()) {
    if (!arg.endsWith('.cpuprofile')) throw new Error(`${arg} is not a .cpuprofile file nor a folder`);
    return [arg];
  }
  return readdirSync(arg, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .map((f) => path.join(arg, f));
}

function formatSlice(slice: ProfileSlice, top: number, withSpan: boolean): string {
  const pct = (ms: number) => `${((100 * ms) / slice.busyMs).toFixed(1).padStart(5)} %`;
  const lines: string[] = [];
  const span = withSpan ? `${seconds(slice.fromMs)} to ${seconds(slice.toMs)}: ` : '';
  lines.push(`\n  ${span}${Math.round(slice.busyMs).toLocaleString('en-US')} ms busy, by group (self time):`);
  const groupWidth = Math.max(...slice.groups.map((g) => g.group.length));
  for (const g of slice.groups) {
    if (g.ms / slice.busyMs < 0.001) continue;
    lines.push(`    ${g.group.padEnd(groupWidth)}  ${pct(g.ms)}`);
  }
  lines.push(`  top ${top} functions (self time):`);
  const fns = slice.functions.slice(0, top);
  const nameWidth = Math.min(40, Math.max(...fns.map((f) => f.name.length)));
  const fnGroupWidth = Math.max(...fns.map((f) => f.group.length));
  for (const f of fns) {
    lines.push(
      `    ${pct(f.ms)}  ${f.group.padEnd(fnGroupWidth)}  ${f.name.slice(0, 40).padEnd(nameWidth)}  ${f.location}`,
    );
  }
  return lines.join('\n');
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

try {
  process.exitCode = main();
} catch (err) {
  console.error(`profile-summary: ${(err as Error).message}\n\n${USAGE}`);
  process.exitCode = 2;
}
