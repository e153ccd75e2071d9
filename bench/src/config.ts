import { existsSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { envPort, envString, envUrl, loadConfig } from '@grider-ms-tickets/common';
import { REPO_ROOT, RESULTS_DIR } from './lib/paths';

export const SCENARIOS = ['ingest', 'precision', 'burst', 'recovery', 'capacity', 'replicas'] as const;
export type ScenarioName = (typeof SCENARIOS)[number];

/**
 * What `--quick` runs unless `--scenarios` says otherwise: every scenario but
 * replicas, which starts four service processes per measurement and would
 * slow the CI check down while telling it nothing the others don't.
 */
export const QUICK_SCENARIOS: readonly ScenarioName[] = SCENARIOS.filter((s) => s !== 'replicas');

/**
 * (a) is the naive course-style baseline, (b) raw Bull without NATS, (c) raw
 * Bull whose job is one awaited JetStream publish: the least a correct
 * expiration service does per job.
 */
export const TARGETS = ['service', 'naive', 'raw', 'raw-publish'] as const;
export type TargetName = (typeof TARGETS)[number];

/** How the real service is started: its build (`node expiration/dist/index.js`) or its sources through tsx. */
export type ServiceLaunch = 'dist' | 'tsx';

/** Everything one benchmark run needs to know. */
export interface BenchSettings {
  mode: 'full' | 'quick';
  redis: { host: string; port: number };
  natsUrl: string;
  scenarios: ScenarioName[];
  targets: TargetName[];
  serviceLaunch: ServiceLaunch;
  /** Put over the service's environment, e.g. EXPIRATION_CONCURRENCY=200, to try a setting. */
  serviceEnv: Record<string, string>;
  /** Put over the raw Bull worker's environment, e.g. STALLED_INTERVAL_MS=1000. */
  rawEnv: Record<string, string>;
  /** Node options for the service processes, e.g. --cpu-prof to see where the time goes. */
  serviceNodeArgs: string[];
  /** Node options for the raw Bull workers. */
  rawNodeArgs: string[];
  /** Service processes sharing the queue and the consumers (1 unless trying horizontal scaling). */
  replicas: number;
  /** The service's EXPIRATION_CONCURRENCY; the raw Bull workers use the same. */
  concurrency: number;
  /** Concurrencies to run the scenarios at, one run each (empty: one run at `concurrency`). */
  sweepConcurrency: number[];
  /** Where the JSON results go. */
  out: string;
  /** Where child processes write their logs. */
  logDir: string;
  ingest: { events: number };
  precision: { orders: number; spreadMs: number };
  burst: { orders: number };
  recovery: {
    pending: number;
    overdue: number;
    downtimeMs: number;
    timeoutMs: number;
    repeats: number;
    /** Each repeat shifts the kill by a random 0 to this many ms. */
    shiftMaxMs: number;
  };
  capacity: { jobs: number };
}

const envSchema = z.object({
  REDIS_HOST: envString({ default: '127.0.0.1' }),
  REDIS_PORT: envPort(6379),
  NATS_URL: envUrl(['nats:']).default('nats://127.0.0.1:4222'),
});

/** The expiration service's default EXPIRATION_CONCURRENCY (expiration/src/config.ts). */
const SERVICE_DEFAULT_CONCURRENCY = 50;

export const USAGE = `npm run bench -- [options]
  --quick                 a tenth of the load, and every scenario but replicas (the CI check)
  --scenarios=a,b         some of: ${SCENARIOS.join(', ')} (default: all)
  --targets=a,b           some of: ${TARGETS.join(', ')} (default: all)
  --service=auto|dist|tsx how to start the expiration service (default: auto, dist when its build is fresh)
  --env=NAME=VALUE        an extra variable for the service, repeatable
  --raw-env=NAME=VALUE    an extra variable for the raw Bull worker (LOCK_DURATION_MS, STALLED_INTERVAL_MS), repeatable
  --replicas=N            service processes sharing the work (default 1; the replicas scenario runs 1 and 3)
  --node-arg=ARG          a node option for the service, repeatable; --node-arg=--cpu-prof writes one
                          .cpuprofile per service process to the log folder (see src/profile-summary.ts)
  --raw-node-arg=ARG      a node option for the raw Bull workers, repeatable (e.g. --raw-node-arg=--cpu-prof)
  --sweep-concurrency=N,M run the scenarios once per service concurrency and print one line per value
                          (default scenarios: burst; default targets: service, raw-publish)
  --out=FILE              the JSON results (default: bench/results/latest.json, quick: quick.json, sweep: sweep.json)
Env: REDIS_HOST, REDIS_PORT (127.0.0.1:6379), NATS_URL (nats://127.0.0.1:4222).`;

/**
 * Reads the command line and the environment.
 *
 * @param argv - the arguments after the script
 * @param env - the environment
 * @returns the settings
 * @throws Error naming a bad argument
 */
export function loadBenchSettings(argv: string[], env: NodeJS.ProcessEnv = process.env): BenchSettings {
  const { values } = parseArgs({
    args: argv,
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      targets: { type: 'string' },
      service: { type: 'string', default: 'auto' },
      env: { type: 'string', multiple: true, default: [] },
      'raw-env': { type: 'string', multiple: true, default: [] },
      replicas: { type: 'string', default: '1' },
      'node-arg': { type: 'string', multiple: true, default: [] },
      'raw-node-arg': { type: 'string', multiple: true, default: [] },
      'sweep-concurrency': { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const e = loadConfig(envSchema, env);
  const quick = values.quick;
  const scale = (n: number) => (quick ? Math.round(n / 10) : n);

  const serviceEnv = envPairs(values.env, '--env');
  const rawEnv = envPairs(values['raw-env'], '--raw-env');
  const concurrency = Number(serviceEnv.EXPIRATION_CONCURRENCY ?? SERVICE_DEFAULT_CONCURRENCY);
  if (!Number.isInteger(concurrency) || concurrency < 1)
    throw new Error('EXPIRATION_CONCURRENCY must be a positive integer');
  const sweep = values['sweep-concurrency'];
  const sweepConcurrency =
    sweep === undefined ? [] : sweep.split(',').map((v) => positiveInt(v.trim(), '--sweep-concurrency'));
  if (sweep !== undefined && serviceEnv.EXPIRATION_CONCURRENCY !== undefined)
    throw new Error('--sweep-concurrency sets EXPIRATION_CONCURRENCY itself; leave it out of --env');
  const logDir = path.join(tmpdir(), `bench-logs-${Date.now().toString(36)}`);

  return {
    mode: quick ? 'quick' : 'full',
    redis: { host: e.REDIS_HOST, port: e.REDIS_PORT },
    natsUrl: e.NATS_URL,
    scenarios: pickList(
      values.scenarios,
      sweep !== undefined ? ['burst'] : quick ? QUICK_SCENARIOS : SCENARIOS,
      SCENARIOS,
      '--scenarios',
    ),
    targets: pickList(values.targets, sweep === undefined ? TARGETS : ['service', 'raw-publish'], TARGETS, '--targets'),
    serviceLaunch: resolveLaunch(values.service),
    serviceEnv,
    rawEnv,
    replicas: positiveInt(values.replicas, '--replicas'),
    serviceNodeArgs: values['node-arg'],
    rawNodeArgs: values['raw-node-arg'],
    concurrency,
    sweepConcurrency,
    out: path.resolve(values.out ?? path.join(RESULTS_DIR, defaultOutFile(quick, sweep !== undefined))),
    logDir,
    // Quick mode is the CI check: it shows every path works, not figures to
    // compare, so it also cuts the waits that only make the figures steadier.
    ingest: { events: scale(20_000) },
    precision: { orders: scale(2_000), spreadMs: quick ? 1_000 : 10_000 },
    burst: { orders: scale(10_000) },
    recovery: {
      pending: scale(5_000),
      overdue: scale(500),
      downtimeMs: 2_000,
      // The service and the raw workers recover in about 4 s (a 5 s lock, a stalled check every second); the
      // naive baseline needs up to 90 s (30 s locks and checks), which quick mode does not wait for.
      timeoutMs: quick ? 10_000 : 120_000,
      repeats: quick ? 1 : 3,
      // One repeat has nothing to spread; 1 s is the service's stalled-check cycle.
      shiftMaxMs: quick ? 1_000 : 5_000,
    },
    // A job's size does not depend on how many there are: 2,000 tell it as well as 10,000.
    capacity: { jobs: quick ? 2_000 : 100_000 },
  };
}

/** bench/results/latest.json, quick.json, sweep.json or sweep-quick.json. */
function defaultOutFile(quick: boolean, sweep: boolean): string {
  const name = sweep ? 'sweep' : quick ? 'quick' : 'latest';
  return `${name}${sweep && quick ? '-quick' : ''}.json`;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag} takes a positive integer, got "${value}"`);
  return n;
}

function envPairs(pairs: string[], flag: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`${flag} takes NAME=VALUE, got "${pair}"`);
    env[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return env;
}

function pickList<T extends string>(
  value: string | undefined,
  defaults: readonly T[],
  all: readonly T[],
  flag: string,
): T[] {
  if (!value) return [...defaults];
  const picked = value.split(',').map((s) => s.trim());
  const bad = picked.filter((s) => !all.includes(s as T));
  if (bad.length) throw new Error(`${flag}: unknown ${bad.join(', ')} (known: ${all.join(', ')})`);
  return all.filter((s) => picked.includes(s));
}

/**
 * Decides how to start the expiration service.
 * `auto` takes the build when it is newer than every source file of
 * expiration and common, and the sources through tsx otherwise, so that a
 * stale build is never measured by mistake.
 */
export function resolveLaunch(value: string): ServiceLaunch {
  if (value === 'dist' || value === 'tsx') return value;
  if (value !== 'auto') throw new Error(`--service must be auto, dist or tsx, got "${value}"`);
  const builds = ['expiration/dist/index.js', 'common/dist/index.js'].map((p) => path.join(REPO_ROOT, p));
  if (!builds.every((p) => existsSync(p))) return 'tsx';
  const builtAt = Math.min(...builds.map((p) => statSync(p).mtimeMs));
  const newestSource = Math.max(
    newestTs(path.join(REPO_ROOT, 'expiration', 'src')),
    newestTs(path.join(REPO_ROOT, 'common', 'src')),
  );
  return newestSource < builtAt ? 'dist' : 'tsx';
}

function newestTs(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const file = path.join(entry.parentPath, entry.name);
    // Tests are not built, so a newer test does not make the build stale.
    if (entry.isFile() && file.endsWith('.ts') && !/[/\\](__tests__|test)[/\\]/.test(file)) {
      newest = Math.max(newest, statSync(file).mtimeMs);
    }
  }
  return newest;
}
