import type { ScenarioName } from '../config';
import { burst } from './burst';
import { capacity } from './capacity';
import { ingest } from './ingest';
import { precision } from './precision';
import { recovery } from './recovery';
import { replicas } from './replicas';
import type { Scenario } from './scenario';

/** Every scenario, in the order a run takes them (ingest first: the others size their lead time from it). */
export const SCENARIO_DEFS: Record<ScenarioName, Scenario> = {
  ingest,
  precision,
  burst,
  recovery,
  capacity,
  replicas,
};
export type { Scenario, Metrics, MetricSpec, ScenarioContext } from './scenario';
