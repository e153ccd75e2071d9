/**
 * The metrics the alerts and the dashboard may read that our services don't
 * export, each with where it comes from. Any other name must be on a
 * service's live `/metrics` (monitoring-metrics.test.ts checks it).
 */
export const EXTERNAL_METRICS: Readonly<Record<string, string>> = {
  up: 'Prometheus itself, for every scrape target: 1 when the last scrape worked, 0 when it failed',
  kube_deployment_status_replicas_unavailable: 'kube-state-metrics (part of kube-prometheus-stack), per Deployment',
};
