import type { IContainer } from 'kubernetes-models/v1';
import { containersOf, declaresPort, describe, isPinned, type Workload } from './manifest';
import { parseQuantity } from './quantity';
import { Findings, type RuleContext, type Problem } from './rule-context';
import { serviceOf } from './services';

/**
 * A pod template whose containers can't have a read-only root filesystem
 * says why in this annotation; the rule then lets it pass.
 */
export const WRITABLE_ROOT_FS_ANNOTATION = 'ticketing/writable-root-fs';

/**
 * The rules every pod follows (STYLE.md, "Containers and Kubernetes"): app
 * labels, securityContext, requests and limits, probes, named ports, an
 * explicit grace period, and pinned images.
 *
 * @param workloads - the workloads of one overlay
 * @param context - the overlay
 * @returns the problems, rule by rule
 */
export function checkPods(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const f = Findings.of('labels', 'security-context', 'resources', 'probes', 'ports', 'grace-period', 'images');
  for (const w of workloads) {
    const at = `${where}: ${describe(w)}`;
    const pod = w.spec.template;
    const app = pod.metadata?.labels?.app;
    if (!app) f.labels.add(at, 'the pod template has no app: label');
    if (w.metadata.labels?.app !== app) f.labels.add(at, `metadata.labels.app must be the pod's app label (${app})`);
    if (w.spec.selector.matchLabels?.app !== app) {
      f.labels.add(at, `spec.selector.matchLabels.app must be the pod's app label (${app})`);
    }
    if (pod.spec.terminationGracePeriodSeconds === undefined) {
      f['grace-period'].add(
        at,
        'terminationGracePeriodSeconds must be set, long enough for the process to shut down cleanly',
      );
    }
    for (const c of containersOf(w)) {
      const cAt = `${at}: container ${c.name}`;
      securityContext(w, c, cAt, f['security-context']);
      resources(c, cAt, f.resources);
      // Init containers run to completion; probes and ports are for the long-running ones.
      if (pod.spec.containers.includes(c)) {
        probes(c, cAt, f.probes);
        for (const p of c.ports ?? []) if (!p.name) f.ports.add(cAt, `containerPort ${p.containerPort} has no name`);
      }
      // Our images are skaffold's artifacts, which it tags on each build (service-rules.ts).
      if (serviceOf(w, c) === undefined && !isPinned(c.image ?? '')) {
        f.images.add(cAt, `image ${c.image || '(none)'} must be pinned to a version`);
      }
    }
  }
  return Object.values(f).flatMap((found) => found.problems);
}

function securityContext(w: Workload, c: IContainer, at: string, found: Findings): void {
  const pod = w.spec.template.spec;
  const sc = c.securityContext ?? {};
  const runAsUser = sc.runAsUser ?? pod.securityContext?.runAsUser;
  if ((sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot) !== true) {
    found.add(at, 'runAsNonRoot must be true (pod or container securityContext)');
  }
  // The kubelet can't check a user name (USER node) against runAsNonRoot.
  if (runAsUser === undefined) {
    found.add(at, 'runAsUser must be set to a non-zero uid: a user name in the image cannot be checked');
  } else if (runAsUser === 0) found.add(at, 'runAsUser must not be 0 (root)');
  if (sc.privileged) found.add(at, 'must not be privileged');
  if (sc.allowPrivilegeEscalation !== false) found.add(at, 'securityContext.allowPrivilegeEscalation must be false');
  if (!sc.capabilities?.drop?.includes('ALL')) found.add(at, 'securityContext.capabilities.drop must include ALL');
  if ((sc.capabilities?.add ?? []).length > 0) {
    found.add(at, `must not add capabilities (${sc.capabilities?.add?.join(', ')})`);
  }
  if (sc.readOnlyRootFilesystem !== true && !w.spec.template.metadata?.annotations?.[WRITABLE_ROOT_FS_ANNOTATION]) {
    found.add(
      at,
      `securityContext.readOnlyRootFilesystem must be true, or the pod template must say why not in the annotation ${WRITABLE_ROOT_FS_ANNOTATION}`,
    );
  }
}

function resources(c: IContainer, at: string, found: Findings): void {
  for (const resource of ['cpu', 'memory'] as const) {
    const request = c.resources?.requests?.[resource];
    const limit = c.resources?.limits?.[resource];
    if (request === undefined) found.add(at, `resources.requests.${resource} is missing`);
    if (limit === undefined) found.add(at, `resources.limits.${resource} is missing`);
    const [r, l] = [parseQuantity(request), parseQuantity(limit)];
    if (request !== undefined && r === undefined) {
      found.add(at, `resources.requests.${resource} is not a quantity: ${request}`);
    }
    if (limit !== undefined && l === undefined)
      found.add(at, `resources.limits.${resource} is not a quantity: ${limit}`);
    if (r !== undefined && l !== undefined && r > l) {
      found.add(at, `resources.requests.${resource} (${request}) is above its limit (${limit})`);
    }
  }
}

function probes(c: IContainer, at: string, found: Findings): void {
  for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
    const probe = c[kind];
    if (!probe) {
      if (kind !== 'startupProbe') found.add(at, `${kind} is missing`);
      continue;
    }
    const port = probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
    if (port === undefined) {
      if (!probe.exec) found.add(at, `${kind} has no handler (httpGet, tcpSocket, grpc or exec)`);
    } else if (!declaresPort(c, port)) {
      found.add(at, `${kind} probes port ${port}, which the container does not declare`);
    }
  }
}
