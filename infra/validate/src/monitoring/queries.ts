import { describe, type K8sObject } from '../manifest';

/** One PromQL expression of the monitoring manifests, and where it is. */
export interface MonitoringQuery {
  /** Such as `PrometheusRule/ticketing-alerts: alert OrdersSwept` or `ConfigMap/…: panel "Errors" (B)`. */
  where: string;
  expr: string;
}

/** What the monitoring objects of an overlay hold, and what could not be read. */
export interface CollectedQueries {
  queries: MonitoringQuery[];
  /** Messages about what is malformed, each with where it is. */
  problems: { where: string; message: string }[];
}

/** The label Grafana's dashboard sidecar (kube-prometheus-stack) loads ConfigMaps by. */
export const DASHBOARD_LABEL = 'grafana_dashboard';

/** The datasource every dashboard panel must use: the dashboard's own variable, so it works on any Grafana. */
const DATASOURCE_VARIABLES = ['${datasource}', '$datasource'];

interface RuleGroup {
  name?: string;
  rules?: {
    alert?: string;
    record?: string;
    expr?: unknown;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  }[];
}

interface Panel {
  title?: string;
  type?: string;
  datasource?: { uid?: string } | string | null;
  targets?: { refId?: string; expr?: unknown; datasource?: { uid?: string } | string | null }[];
  panels?: Panel[];
}

interface Variable {
  name?: string;
  type?: string;
  /** A string, or (newer Grafana) an object holding it. */
  query?: string | { query?: string };
}

interface Dashboard {
  uid?: string;
  title?: string;
  panels?: Panel[];
  templating?: { list?: Variable[] };
}

/** Grafana's `label_values(<selector>, <label>)`, capturing the selector. */
const LABEL_VALUES = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/s;

/**
 * Every PromQL expression of an overlay's PrometheusRules (each rule's `expr`)
 * and Grafana dashboards (ConfigMaps labelled `grafana_dashboard`: each
 * panel's targets, rows' panels included, and each variable's
 * `label_values(<selector>, <label>)`), with what is malformed around them:
 * a dashboard that is not JSON, an alert without a `severity` label or a
 * `summary`, a panel bound to a fixed datasource rather than the dashboard's
 * `datasource` variable.
 *
 * Grafana's interval variables (`$__rate_interval`, `$__interval`,
 * `$__range`) become `5m`, so that the expression parses as Prometheus would
 * get it; any other `$variable` must stand inside a string, as in
 * `{namespace="$namespace"}`.
 *
 * @param objects - the objects of one overlay
 * @returns the expressions and the problems
 */
export function collectQueries(objects: readonly K8sObject[]): CollectedQueries {
  const collected: CollectedQueries = { queries: [], problems: [] };
  for (const object of objects) {
    if (object.kind === 'PrometheusRule') collectRules(object, collected);
    if (object.kind === 'ConfigMap' && object.metadata.labels?.[DASHBOARD_LABEL] !== undefined) {
      collectDashboards(object, collected);
    }
  }
  return collected;
}

function collectRules(object: K8sObject, collected: CollectedQueries): void {
  const groups = (object.spec as { groups?: RuleGroup[] } | undefined)?.groups ?? [];
  for (const group of groups) {
    for (const rule of group.rules ?? []) {
      const where = `${describe(object)}: ${rule.alert ? `alert ${rule.alert}` : `record ${rule.record}`}`;
      collected.queries.push({ where, expr: String(rule.expr ?? '') });
      if (!rule.alert) continue;
      if (!rule.labels?.severity) {
        collected.problems.push({ where, message: 'an alert needs a severity label' });
      }
      if (!rule.annotations?.summary) {
        collected.problems.push({ where, message: 'an alert needs a summary annotation' });
      }
    }
  }
}

function collectDashboards(object: K8sObject, collected: CollectedQueries): void {
  for (const [key, text] of Object.entries((object.data as Record<string, string> | undefined) ?? {})) {
    const where = `${describe(object)}: ${key}`;
    let dashboard: Dashboard;
    try {
      dashboard = JSON.parse(text) as Dashboard;
    } catch (err) {
      collected.problems.push({ where, message: `is not JSON: ${(err as Error).message}` });
      continue;
    }
    if (!dashboard.uid) {
      collected.problems.push({ where, message: 'the dashboard needs a uid, or Grafana makes a new one each load' });
    }
    for (const panel of allPanels(dashboard.panels ?? [])) {
      collectPanel(panel, `${where}: panel "${panel.title ?? '(untitled)'}"`, collected);
    }
    for (const variable of dashboard.templating?.list ?? []) {
      if (variable.type === 'query') collectVariable(variable, `${where}: variable ${variable.name}`, collected);
    }
  }
}

/** A query variable must be `label_values(<selector>, <label>)`, whose selector is PromQL. */
function collectVariable(variable: Variable, where: string, collected: CollectedQueries): void {
  const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
  const selector = LABEL_VALUES.exec(query ?? '')?.[1];
  if (selector) {
    collected.queries.push({ where, expr: selector });
  } else {
    collected.problems.push({
      where,
      message: `query ${JSON.stringify(query)} is not label_values(<selector>, <label>)`,
    });
  }
}

function collectPanel(panel: Panel, where: string, collected: CollectedQueries): void {
  if (panel.type === 'row') return;
  if (!usesDatasourceVariable(panel.datasource)) {
    collected.problems.push({ where, message: 'its datasource must be the dashboard variable ${datasource}' });
  }
  for (const target of panel.targets ?? []) {
    const at = `${where} (${target.refId ?? '?'})`;
    if (!usesDatasourceVariable(target.datasource)) {
      collected.problems.push({ where: at, message: 'its datasource must be the dashboard variable ${datasource}' });
    }
    if (typeof target.expr !== 'string') {
      collected.problems.push({ where: at, message: 'a target needs a PromQL expr' });
      continue;
    }
    collected.queries.push({ where: at, expr: withGrafanaIntervals(target.expr) });
  }
}

/** A dashboard's panels, those inside collapsed rows included. */
function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels ?? [])]);
}

function usesDatasourceVariable(datasource: Panel['datasource']): boolean {
  if (datasource === undefined || datasource === null) return true;
  const uid = typeof datasource === 'string' ? datasource : datasource.uid;
  return uid !== undefined && DATASOURCE_VARIABLES.includes(uid);
}

/** The expression as Grafana sends it, for the interval variables it fills in itself. */
function withGrafanaIntervals(expr: string): string {
  return expr.replace(/\$\{?__(rate_interval|interval|range)\}?/g, '5m');
}
