import type { K8sObject } from '../manifest';
import { metricNames, parsePromql, syntaxErrors } from '../monitoring/promql';
import { collectQueries } from '../monitoring/queries';
import { find, lines, problemsAfter, renderOverlay } from './helpers/manifests';

// The monitoring component in the overlays that use it, and the checks on it:
// each test breaks one thing in the prod render and expects it named.

/** The dashboard of the component, parsed, and a function that puts it back into its ConfigMap. */
function dashboardOf(objects: K8sObject[]) {
  const configMap = find(objects, 'ConfigMap', 'ticketing-dashboard');
  const dashboard = JSON.parse(configMap.data['ticketing.json']);
  return { dashboard, save: () => (configMap.data['ticketing.json'] = JSON.stringify(dashboard)) };
}

interface Panel {
  title: string;
  targets: { expr: string; datasource?: unknown }[];
}

const panelTitled = (dashboard: { panels: Panel[] }, title: string) =>
  dashboard.panels.find((p) => p.title === title) as Panel;

const ruleNamed = (objects: K8sObject[], alert: string) =>
  find(objects, 'PrometheusRule', 'ticketing-alerts')
    .spec.groups.flatMap((g: { rules: unknown[] }) => g.rules)
    .find((r: { alert?: string }) => r.alert === alert);

describe('the monitoring component', () => {
  it.each(['prod', 'prod-jetstream'])('renders in %s: two PodMonitors, the alerts and the dashboard', (overlay) => {
    const objects = renderOverlay(overlay);

    const monitoring = objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'));
    expect(monitoring.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual([
      'PodMonitor/expiration',
      'PodMonitor/orders',
      'PrometheusRule/ticketing-alerts',
    ]);
    expect(find(objects, 'ConfigMap', 'ticketing-dashboard').metadata.labels).toMatchObject({ grafana_dashboard: '1' });
  });

  it.each(['dev', 'dev-jetstream'])('is left out of %s, where the Prometheus Operator is not assumed', (overlay) => {
    expect(renderOverlay(overlay).filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
  });

  it('passes every check in prod', () => {
    expect(lines(problemsAfter('prod', () => undefined))).toEqual([]);
  });

  it('holds the queries the operators look at: every alert, and a panel per main signal', () => {
    const { queries } = collectQueries(renderOverlay('prod'));

    const wheres = queries.map((q) => q.where);
    expect(wheres).toEqual(
      expect.arrayContaining([
        'PrometheusRule/ticketing-alerts: alert ExpirationsLate',
        'PrometheusRule/ticketing-alerts: alert ExpirationFailedJobsGrowing',
        'PrometheusRule/ticketing-alerts: alert OrdersEventsDeadLettered',
        'PrometheusRule/ticketing-alerts: alert OrdersSwept',
        'PrometheusRule/ticketing-alerts: alert TicketingTargetDown',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Pending expirations" (A)',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Expiration lateness" (C)',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Expirations published /s" (A)',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Orders by transition /s" (A)',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Requests /s by route" (A)',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Errors" (A)',
        'ConfigMap/ticketing-dashboard: ticketing.json: panel "Latency by route" (B)',
        'ConfigMap/ticketing-dashboard: ticketing.json: variable namespace',
      ]),
    );
  });
});

describe('monitoring checks', () => {
  it("when an alert's PromQL does not parse, names the alert and the column", () => {
    const problems = problemsAfter('prod', (objects) => {
      ruleNamed(objects, 'OrdersSwept').expr = 'sum by (namespace (increase(orders_swept_total[15m])) > 0';
    });

    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^monitoring: overlays\/prod: PrometheusRule\/ticketing-alerts: alert OrdersSwept: PromQL syntax error at column \d+, near ".*"$/,
      ),
    ]);
  });

  it("when a panel's PromQL does not parse, names the panel and its query", () => {
    const problems = problemsAfter('prod', (objects) => {
      const { dashboard, save } = dashboardOf(objects);
      panelTitled(dashboard, 'Errors').targets[1].expr = 'sum(rate(http_request_duration_seconds_count[5m]) /';
      save();
    });

    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^monitoring: overlays\/prod: ConfigMap\/ticketing-dashboard: ticketing\.json: panel "Errors" \(B\): PromQL syntax error/,
      ),
    ]);
  });

  it('when an alert has no severity or summary, says so', () => {
    const problems = problemsAfter('prod', (objects) => {
      const rule = ruleNamed(objects, 'ExpirationsLate');
      delete rule.labels.severity;
      delete rule.annotations.summary;
    });

    expect(lines(problems)).toEqual([
      'monitoring: overlays/prod: PrometheusRule/ticketing-alerts: alert ExpirationsLate: an alert needs a severity label',
      'monitoring: overlays/prod: PrometheusRule/ticketing-alerts: alert ExpirationsLate: an alert needs a summary annotation',
    ]);
  });

  it('when an alert rule has a field the CRD does not know, the schema check names it', () => {
    const problems = problemsAfter('prod', (objects) => {
      ruleNamed(objects, 'OrdersSwept').fro = '5m';
    });

    expect(lines(problems)).toEqual([
      'schema: overlays/prod: PrometheusRule/ticketing-alerts: spec.groups[1].rules[1].fro: unknown field',
    ]);
  });

  it('when the dashboard is not JSON, says so', () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'ConfigMap', 'ticketing-dashboard').data['ticketing.json'] = '{"panels": [';
    });

    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^monitoring: overlays\/prod: ConfigMap\/ticketing-dashboard: ticketing\.json: is not JSON: /,
      ),
    ]);
  });

  it('when a panel is bound to a fixed datasource, asks for the dashboard variable', () => {
    const problems = problemsAfter('prod', (objects) => {
      const { dashboard, save } = dashboardOf(objects);
      panelTitled(dashboard, 'Errors').targets[0].datasource = { type: 'prometheus', uid: 'P1809F7CD0C75ACF3' };
      save();
    });

    expect(lines(problems)).toEqual([
      'monitoring: overlays/prod: ConfigMap/ticketing-dashboard: ticketing.json: panel "Errors" (A): its datasource must be the dashboard variable ${datasource}',
    ]);
  });

  it("accepts Grafana's interval variables where PromQL expects a duration", () => {
    const problems = problemsAfter('prod', (objects) => {
      const { dashboard, save } = dashboardOf(objects);
      panelTitled(dashboard, 'Orders by transition /s').targets[0].expr =
        'sum by (transition) (rate(orders_transitions_total{namespace="$namespace"}[$__rate_interval]))';
      save();
    });

    expect(lines(problems)).toEqual([]);
  });

  it("when a PodMonitor scrapes a port the pods don't have, or selects no pods, says so", () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'PodMonitor', 'orders').spec.podMetricsEndpoints[0].port = 'metrics';
      find(objects, 'PodMonitor', 'expiration').spec.selector.matchLabels = { app: 'expirations' };
    });

    expect(lines(problems).sort()).toEqual([
      'monitoring: overlays/prod: PodMonitor/expiration: selects no pods (matchLabels {"app":"expirations"})',
      'monitoring: overlays/prod: PodMonitor/orders: port metrics is not a named port of Deployment/orders-depl',
    ]);
  });

  it("when a PodMonitor's jobLabel is not a label of its pods, says so: the alerts select on the job", () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'PodMonitor', 'orders').spec.jobLabel = 'app.kubernetes.io/name';
    });

    expect(lines(problems)).toEqual([
      'monitoring: overlays/prod: PodMonitor/orders: jobLabel app.kubernetes.io/name is not a label of the pods of Deployment/orders-depl',
    ]);
  });
});

describe('PromQL with Prometheus’s own parser', () => {
  const namesOf = (expr: string) => metricNames(expr, parsePromql([expr]).get(expr)!);
  const errorsOf = (expr: string) => syntaxErrors(expr, parsePromql([expr]).get(expr)!);

  it('reads the metric name of every selector: plain, in a function, after `offset`, in a subquery', () => {
    expect(
      namesOf(
        'histogram_quantile(0.9, sum by (le) (rate(a_seconds_bucket[5m]))) / b offset 1m + max_over_time(c[10m:1m])',
      ).names,
    ).toEqual(['a_seconds_bucket', 'b', 'c']);
  });

  it('reads a name given as __name__, or quoted', () => {
    expect(namesOf('{__name__="up", job="x"} + {"my.metric"}').names).toEqual(['my.metric', 'up']);
  });

  it('does not count label names, label values or function names as metrics', () => {
    expect(namesOf('sum by (job) (rate(hits_total{route="up"}[5m]))').names).toEqual(['hits_total']);
  });

  it('lists a selector without a fixed metric name as unresolved', () => {
    expect(namesOf('{job="orders"} or {__name__=~"orders_.*"}')).toEqual({
      names: [],
      unresolved: ['{job="orders"}', '{__name__=~"orders_.*"}'],
    });
  });

  it('finds no error in a valid expression, and names the place of each error in a broken one', () => {
    expect(errorsOf('sum(rate(x[5m])) by (job) > 0')).toEqual([]);
    expect(errorsOf('sum(rate(x[5m])) by (job')).toEqual([
      'PromQL syntax error: the expression ends too early (column 25, after "rate(x[5m])) by (job")',
    ]);
    expect(errorsOf('rate(x[5m]) >> 2')).toEqual([expect.stringMatching(/^PromQL syntax error at column 1[34], near/)]);
    expect(errorsOf('   ')).toEqual(['the expression is empty']);
  });
});
