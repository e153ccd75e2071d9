import type { IIngress } from 'kubernetes-models/networking.k8s.io/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import type { IService } from 'kubernetes-models/v1';
import { declaresPort, describe, findObject, findService, isWorkload, workloadsSelectedBy } from './manifest';
import type { K8sObject, Workload } from './manifest';
import { Findings, type RuleContext, type Problem } from './rule-context';
import { minimumReplicas } from './replicas';
import { SERVICES } from './services';

/** The course's local host, which must not reach production. */
const DEV_HOST = 'ticketing.dev';

/**
 * The objects point at each other correctly: every Service selects pods that
 * have its target ports, every Ingress backend exists, every
 * PodDisruptionBudget selects a workload it doesn't freeze; and the overlay
 * gives what its environment needs (one replica in dev; two and a real
 * host in prod; the PodDisruptionBudgets are ha-rules.ts's). A workload that
 * an autoscaler scales runs its minReplicas at least.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkTopology(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  return [
    ...checkServicesSelect(objects, context),
    ...checkIngresses(objects, context),
    ...checkBudgets(objects, context),
  ];
}

function checkServicesSelect(objects: readonly K8sObject[], { where }: RuleContext): Problem[] {
  const found = new Findings('wiring');
  for (const service of objects.filter((o) => o.kind === 'Service') as (IService & K8sObject)[]) {
    const at = `${where}: ${describe(service)}`;
    const pods = workloadsSelectedBy(objects, service.spec?.selector);
    if (pods.length === 0) {
      found.add(at, `selects no pods (selector ${JSON.stringify(service.spec?.selector ?? {})})`);
      continue;
    }
    for (const port of service.spec?.ports ?? []) {
      if (!port.name) found.add(at, `port ${port.port} has no name`);
      const target = port.targetPort ?? port.port;
      const served = pods.some((w) => w.spec.template.spec.containers.some((c) => declaresPort(c, target)));
      if (!served) found.add(at, `targetPort ${target} is not a port of the pods it selects`);
    }
  }
  for (const w of objects.filter(isWorkload)) {
    if (w.kind === 'StatefulSet' && w.spec.serviceName && !findService(objects, w.spec.serviceName)) {
      found.add(`${where}: ${describe(w)}`, `serviceName ${w.spec.serviceName} is not a Service of this overlay`);
    }
  }
  return found.problems;
}

function checkIngresses(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const found = new Findings('wiring');
  for (const ingress of objects.filter((o) => o.kind === 'Ingress') as (IIngress & K8sObject)[]) {
    const at = `${context.where}: ${describe(ingress)}`;
    for (const rule of ingress.spec?.rules ?? []) {
      if (context.environment === 'prod' && rule.host === DEV_HOST) {
        found.add(at, `host ${DEV_HOST} is the local one: production sets its own (overlays/prod/ingress-host.yaml)`);
      }
      for (const path of rule.http?.paths ?? []) {
        const backend = path.backend.service;
        if (!backend) continue;
        const service = findService(objects, backend.name);
        const exposes = service?.spec?.ports?.some((p) =>
          backend.port?.name !== undefined ? p.name === backend.port.name : p.port === backend.port?.number,
        );
        if (!service) found.add(at, `${path.path} goes to Service ${backend.name}, which is not in this overlay`);
        else if (!exposes) found.add(at, `${path.path} goes to a port Service ${backend.name} does not expose`);
      }
    }
  }
  return found.problems;
}

function checkBudgets(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const found = new Findings('availability');
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget') as (IPodDisruptionBudget & K8sObject)[];
  for (const pdb of budgets) {
    const at = `${context.where}: ${describe(pdb)}`;
    const selected = workloadsSelectedBy(objects, pdb.spec?.selector?.matchLabels);
    if (selected.length === 0) found.add(at, 'selects no workload');
    if (pdb.spec?.maxUnavailable === 0 || pdb.spec?.maxUnavailable === '0%') {
      found.add(at, 'maxUnavailable 0: no pod could ever be evicted, and node drains would hang');
    }
    for (const w of selected) {
      const replicas = minimumReplicas(objects, w);
      const minAvailable = pdb.spec?.minAvailable;
      if (typeof minAvailable === 'number' && minAvailable >= replicas) {
        found.add(
          at,
          `minAvailable ${minAvailable} with ${replicas} replica(s) of ${describe(w)}: no pod could ever be evicted, and node drains would hang`,
        );
      }
    }
  }
  // Whether each has a PodDisruptionBudget: ha-rules.ts.
  for (const service of SERVICES) {
    const w = findObject<Workload>(objects, 'Deployment', service.deployment);
    if (!w) continue;
    const at = `${context.where}: ${describe(w)}`;
    const replicas = minimumReplicas(objects, w);
    if (context.environment === 'dev' && replicas !== 1) found.add(at, `dev runs one replica, not ${replicas}`);
    if (context.environment === 'prod' && replicas < 2) {
      found.add(at, `production runs at least two replicas, not ${replicas}`);
    }
  }
  return found.problems;
}
