import { mkdirSync } from 'node:fs';
import os from 'node:os';
import Redis from 'ioredis';
import { type BenchSettings, type ScenarioName, type TargetName } from './config';
import { connectBus, deleteStream } from './lib/nats-tools';
import { Space } from './lib/space';
import { round } from './lib/stats';
import { TerminalReporter, type RunReporter } from './progress-reporter';
import { formatValue } from './report';
import { SCENARIO_DEFS, type Metrics, type MetricSpec, type ScenarioContext } from './scenarios';

/** A target's figures, or why it has none. */
export type TargetOutcome = Metrics | { error: string };

/** The service's figure divided by each other target's, for one figure. */
export interface Ratios {
  vsNaive: number | null;
  vsRaw: number | null;
  vsRawPublish: number | null;
}

/** One scenario of a run. */
export interface ScenarioReport {
  title: string;
  params: Record<string, number>;
  results: Partial<Record<TargetName, TargetOutcome>>;
  /** The figures of the table, in order; the first is the headline. */
  metrics: Array<{ key: string; label: string; better: 'higher' | 'lower'; ratios: Ratios }>;
  goal: { text: string; measured: string; met: boolean | null };
  /** Selected targets the scenario left out, and why. */
  skipped: Partial<Record<TargetName, string>>;
  /** 1, 5 and 15 minute load averages when the scenario started. */
  loadAverage: number[];
  durationMs: number;
}

/** What `npm run bench` writes to bench/results/latest.json. */
export interface BenchResults {
  schema: 1;
  mode: 'full' | 'quick';
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    os: string;
    node: string;
    redis: string;
    nats: string;
    loadAverageBefore: number[];
    loadAverageAfter: number[];
  };
  setup: {
    serviceLaunch: string;
    concurrency: number;
    replicas: number;
    serviceEnv: Record<string, string>;
    rawEnv: Record<string, string>;
    targets: TargetName[];
    /** What each target is. */
    legend: Record<TargetName, string>;
  };
  scenarios: Partial<Record<ScenarioName, ScenarioReport>>;
  errors: number;
}

export const LEGEND: Record<TargetName, string> = {
  service: 'the expiration service (child process), order:created in and expiration:complete out over JetStream',
  naive:
    '(a) the course-style baseline in bench/src/naive (child process): one awaited add per event, concurrency 1, publish not awaited',
  raw: '(b) raw Bull, no NATS: pipelined addBulk from the benchmark, queue.process in a child process',
  'raw-publish':
    '(c) raw Bull + publish: the addBulk of (b), and queue.process at the same concurrency whose job is one awaited JetStream publish of expiration:complete (child process)',
};

/**
 * Runs every selected scenario on every selected target, one after another.
 *
 * @param settings - what to run
 * @param reporter - where progress goes
 * @returns the results, also fit for JSON
 */
export async function runBench(
  settings: BenchSettings,
  reporter: RunReporter = new TerminalReporter(),
): Promise<BenchResults> {
  mkdirSync(settings.logDir, { recursive: true });
  const started = Date.now();
  const loadAverageBefore = loadAverage();
  const versions = await serverVersions(settings);
  const ingestRate: ScenarioContext['ingestRate'] = {};
  const scenarios: BenchResults['scenarios'] = {};
  let errors = 0;

  for (const name of settings.scenarios) {
    const def = SCENARIO_DEFS[name];
    const scenarioStarted = Date.now();
    const report: ScenarioReport = {
      title: def.title,
      params: def.params(settings),
      results: {},
      metrics: [],
      goal: { text: def.goal.text, measured: '', met: null },
      skipped: Object.fromEntries(settings.targets.flatMap((t) => (def.skips?.[t] ? [[t, def.skips[t]]] : []))),
      loadAverage: loadAverage(),
      durationMs: 0,
    };
    const params = Object.entries(report.params).map(([k, v]) => `${k} ${formatValue(v)}`);
    reporter.note(`\n${name}: ${def.title} (${params.join(', ')}; load ${report.loadAverage.join(' ')})`);
    for (const target of settings.targets.filter((t) => !report.skipped[t])) {
      const progress = reporter.target(target);
      try {
        const metrics = await def.measure(target, settings, { ingestRate, progress });
        report.results[target] = metrics;
        progress.done(headline(def.metrics, metrics));
      } catch (err) {
        errors++;
        report.results[target] = { error: (err as Error).stack ?? String(err) };
        // The first line only: the whole stack goes to the results.
        progress.failed((err as Error).message.split('\n')[0]);
      }
    }
    const ok = Object.fromEntries(Object.entries(report.results).filter(([, r]) => r && !('error' in r))) as Partial<
      Record<TargetName, Metrics>
    >;
    report.metrics = def.metrics.map((m) => ({ ...m, ratios: ratios(ok, m.key) }));
    report.goal.met = def.goal.check(ok.service, ok);
    report.goal.measured = def.goal.describe(ok.service, ok);
    report.durationMs = Date.now() - scenarioStarted;
    scenarios[name] = report;
  }

  return {
    schema: 1,
    mode: settings.mode,
    startedAt: new Date(started).toISOString(),
    finishedAt: new Date().toISOString(),
    durationMs: Date.now() - started,
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryGiB: round(os.totalmem() / 2 ** 30, 1) ?? 0,
      os: `${os.type()} ${os.release()} ${os.arch()}`,
      node: process.version,
      ...versions,
      loadAverageBefore,
      loadAverageAfter: loadAverage(),
    },
    setup: {
      serviceLaunch: settings.serviceLaunch,
      concurrency: settings.concurrency,
      replicas: settings.replicas,
      serviceEnv: settings.serviceEnv,
      rawEnv: settings.rawEnv,
      targets: settings.targets,
      legend: LEGEND,
    },
    scenarios,
    errors,
  };
}

function ratios(results: Partial<Record<TargetName, Metrics>>, key: string): Ratios {
  const value = (t: TargetName) => {
    const v = results[t]?.[key];
    return typeof v === 'number' ? v : null;
  };
  const service = value('service');
  const ratio = (other: number | null) => (service !== null && other ? round(service / other, 3) : null);
  return { vsNaive: ratio(value('naive')), vsRaw: ratio(value('raw')), vsRawPublish: ratio(value('raw-publish')) };
}

/** The first two figures of the table, for the end of a progress line. */
function headline(specs: readonly MetricSpec[], metrics: Metrics): string {
  return specs
    .slice(0, 2)
    .map((m) => `${m.label.trim()} ${formatValue(metrics[m.key])}`)
    .join(', ');
}

function loadAverage(): number[] {
  return os.loadavg().map((l) => round(l, 2) ?? 0);
}

async function serverVersions(settings: BenchSettings): Promise<{ redis: string; nats: string }> {
  const redis = new Redis(settings.redis);
  const space = new Space('probe');
  const bus = await connectBus(settings.natsUrl, space);
  try {
    const info = await redis.info('server');
    return {
      redis: /^redis_version:(\S+)/m.exec(info)?.[1] ?? 'unknown',
      nats: bus.connection.info?.version ?? 'unknown',
    };
  } finally {
    await deleteStream(bus, space.stream).catch(() => undefined);
    await bus.close();
    await redis.quit();
  }
}
