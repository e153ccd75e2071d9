import { declaresPort, describe, workloadsSelectedBy, type K8sObject } from '../manifest';
import { Findings, type Problem, type RuleContext } from '../rule-context';
import { parsePromql, syntaxErrors } from './promql';
import { collectQueries } from './queries';

interface PodMonitorSpec {
  jobLabel?: string;
  selector?: { matchLabels?: Record<string, string> };
  podMetricsEndpoints?: { port?: string; path?: string }[];
}

/**
 * The monitoring objects of an overlay make sense: every PromQL expression of
 * the PrometheusRules and Grafana dashboards parses with Prometheus's own
 * grammar (naming the alert or panel and the column), alerts have a
 * severity and a summary, dashboards are JSON bound to their datasource
 * variable, and each PodMonitor selects pods that have the port it scrapes
 * and the label it takes the job name from.
 *
 * Whether each metric an expression reads is exported by the services needs
 * them running: `monitoring-metrics.test.ts` checks that against their live `/metrics`.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkMonitoring(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const found = new Findings('monitoring');
  const { queries, problems } = collectQueries(objects);
  for (const problem of problems) found.add(`${context.where}: ${problem.where}`, problem.message);
  const trees = parsePromql(queries.map((q) => q.expr));
  for (const query of queries) {
    for (const message of syntaxErrors(query.expr, trees.get(query.expr)!)) {
      found.add(`${context.where}: ${query.where}`, message);
    }
  }
  for (const monitor of objects.filter((o) => o.kind === 'PodMonitor'))
    checkPodMonitor(monitor, objects, context, found);
  return found.problems;
}

function checkPodMonitor(
  monitor: K8sObject,
  objects: readonly K8sObject[],
  context: RuleContext,
  found: Findings,
): void {
  const at = `${context.where}: ${describe(monitor)}`;
  const spec = (monitor.spec ?? {}) as PodMonitorSpec;
  const pods = workloadsSelectedBy(objects, spec.selector?.matchLabels);
  if (pods.length === 0) {
    found.add(at, `selects no pods (matchLabels ${JSON.stringify(spec.selector?.matchLabels ?? {})})`);
    return;
  }
  for (const workload of pods) {
    const labels = workload.spec.template.metadata?.labels ?? {};
    if (spec.jobLabel && labels[spec.jobLabel] === undefined) {
      found.add(at, `jobLabel ${spec.jobLabel} is not a label of the pods of ${describe(workload)}`);
    }
    for (const endpoint of spec.podMetricsEndpoints ?? []) {
      if (!endpoint.port) {
        found.add(at, 'an endpoint needs the name of the port to scrape');
      } else if (!workload.spec.template.spec.containers.some((c) => declaresPort(c, endpoint.port!))) {
        found.add(at, `port ${endpoint.port} is not a named port of ${describe(workload)}`);
      }
    }
  }
}
