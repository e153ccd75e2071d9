import type { BenchSettings, ScenarioName, TargetName } from '../config';
import type { Progress } from '../lib/progress';
import { openTarget } from '../targets/open-target';
import type { Target, TargetOptions } from '../targets/target';

/** The figures one target produced in one scenario. */
export type Metrics = Record<string, number | boolean | string | null>;

/** A figure shown in the table. */
export interface MetricSpec {
  key: string;
  label: string;
  /** Which way is better, for reading the ratios. */
  better: 'higher' | 'lower';
}

/** What a measurement gets beside the settings. */
export interface ScenarioContext {
  /**
   * Events per second each target stored in the ingest scenario, to size the
   * lead time of the others: what scenarios learn from each other within a run.
   */
  ingestRate: Partial<Record<TargetName, number>>;
  /** Where this target's measurement says what it is doing. */
  progress: Progress;
}

/** One benchmark scenario, measured on each target in turn. */
export interface Scenario {
  name: ScenarioName;
  /** What it measures, one line. */
  title: string;
  params(settings: BenchSettings): Record<string, number>;
  /** The table's rows; the first is the headline compared with the goal. */
  metrics: MetricSpec[];
  /** Targets this scenario leaves out, and why (their figure would repeat another target's). */
  skips?: Partial<Record<TargetName, string>>;
  /** The goal, and whether the service's figures meet it. */
  goal: {
    text: string;
    /** null when the service's figure is missing. */
    check(service: Metrics | undefined, all: Partial<Record<TargetName, Metrics>>): boolean | null;
    /** The measured value, in words, for the table and BENCHMARKS.md. */
    describe(service: Metrics | undefined, all: Partial<Record<TargetName, Metrics>>): string;
  };
  measure(name: TargetName, settings: BenchSettings, ctx: ScenarioContext): Promise<Metrics>;
}

/**
 * Opens a target, runs `fn` and always closes it (stream and keys deleted).
 *
 * @returns what `fn` returned
 */
export async function withTarget<T>(
  name: TargetName,
  settings: BenchSettings,
  options: TargetOptions,
  fn: (target: Target) => Promise<T>,
): Promise<T> {
  const target = await openTarget(name, settings, options);
  try {
    return await fn(target);
  } finally {
    await target.close();
  }
}

/** Generous time to store `count` jobs, even on a loaded machine. */
export function storeTimeoutMs(count: number): number {
  return Math.max(60_000, (count / 200) * 1000);
}

/** Rough rates used when the ingest scenario did not run first. */
const DEFAULT_RATES: Record<TargetName, number> = { service: 2_000, naive: 500, raw: 10_000, 'raw-publish': 10_000 };

/**
 * How far in the future the first expiry must be so that every order is
 * stored before it: 1.5 s plus 1.5 times the time ingest needs at the rate
 * measured for this target.
 */
export function leadMs(ctx: ScenarioContext, name: TargetName, count: number): number {
  const rate = ctx.ingestRate[name] ?? DEFAULT_RATES[name];
  return Math.round(1_500 + (1.5 * count * 1000) / rate);
}

/** The CPU used between two readings, or null if either is missing. */
export function cpuDelta(before: number | null, after: number | null): number | null {
  return before === null || after === null ? null : after - before;
}
