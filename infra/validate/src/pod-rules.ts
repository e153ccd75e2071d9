import type { IContainer, IProbe } from 'kubernetes-models/v1';
import { containersOf, describe, parseImage, type Workload } from './manifest';
import type { Problem } from './problem';
import { parseQuantity } from './quantity';
import { Findings, type RuleContext } from './rule-context';
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
 * @returns the problems
 */
export function checkPods(workloads: readonly Workload[], context: RuleContext): Problem[] {
  return [labels, securityContext, resources, probes, ports, gracePeriod, pinnedImages].flatMap((rule) =>
    rule(workloads, context),
  );
}

function labels(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('labels');
  for (const w of workloads) {
    const at = `${where}: ${describe(w)}`;
    const app = w.spec.template.metadata?.labels?.app;
    if (!app) found.add(at, 'the pod template has no app: label');
    if (w.metadata.labels?.app !== app) found.add(at, `metadata.labels.app must be the pod's app label (${app})`);
    if (w.spec.selector.matchLabels?.app !== app)
      found.add(at, `spec.selector.matchLabels.app must be the pod's app label (${app})`);
  }
  return found.problems;
}

function securityContext(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('security-context');
  for (const w of workloads) {
    const pod = w.spec.template.spec;
    const writableBecause = w.spec.template.metadata?.annotations?.[WRITABLE_ROOT_FS_ANNOTATION];
    for (const c of containersOf(w)) {
      const at = `${where}: ${describe(w)}: container ${c.name}`;
      const sc = c.securityContext ?? {};
      const runAsNonRoot = sc.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const runAsUser = sc.runAsUser ?? pod.securityContext?.runAsUser;
      if (runAsNonRoot !== true) found.add(at, 'runAsNonRoot must be true (pod or container securityContext)');
      // The kubelet can't check a user name (USER node) against runAsNonRoot.
      if (runAsUser === undefined)
        found.add(at, 'runAsUser must be set to a non-zero uid: a user name in the image cannot be checked');
      else if (runAsUser === 0) found.add(at, 'runAsUser must not be 0 (root)');
      if (sc.privileged) found.add(at, 'must not be privileged');
      if (sc.allowPrivilegeEscalation !== false)
        found.add(at, 'securityContext.allowPrivilegeEscalation must be false');
      if (!sc.capabilities?.drop?.includes('ALL')) found.add(at, 'securityContext.capabilities.drop must include ALL');
      if ((sc.capabilities?.add ?? []).length > 0)
        found.add(at, `must not add capabilities (${sc.capabilities?.add?.join(', ')})`);
      if (sc.readOnlyRootFilesystem !== true && !writableBecause) {
        found.add(
          at,
          `securityContext.readOnlyRootFilesystem must be true, or the pod template must say why not in the annotation ${WRITABLE_ROOT_FS_ANNOTATION}`,
        );
      }
    }
  }
  return found.problems;
}

function resources(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('resources');
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      const at = `${where}: ${describe(w)}: container ${c.name}`;
      for (const resource of ['cpu', 'memory'] as const) {
        const request = c.resources?.requests?.[resource];
        const limit = c.resources?.limits?.[resource];
        if (request === undefined) found.add(at, `resources.requests.${resource} is missing`);
        if (limit === undefined) found.add(at, `resources.limits.${resource} is missing`);
        const r = parseQuantity(request);
        const l = parseQuantity(limit);
        if (request !== undefined && r === undefined)
          found.add(at, `resources.requests.${resource} is not a quantity: ${request}`);
        if (limit !== undefined && l === undefined)
          found.add(at, `resources.limits.${resource} is not a quantity: ${limit}`);
        if (r !== undefined && l !== undefined && r > l) {
          found.add(at, `resources.requests.${resource} (${request}) is above its limit (${limit})`);
        }
      }
    }
  }
  return found.problems;
}

function probePort(probe: IProbe): string | number | undefined {
  return probe.httpGet?.port ?? probe.tcpSocket?.port ?? probe.grpc?.port;
}

function probes(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('probes');
  for (const w of workloads) {
    // Init containers run to completion; probes are for the long-running ones.
    for (const c of w.spec.template.spec.containers) {
      const at = `${where}: ${describe(w)}: container ${c.name}`;
      for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe'] as const) {
        const probe = c[kind];
        if (!probe) {
          if (kind !== 'startupProbe') found.add(at, `${kind} is missing`);
          continue;
        }
        const port = probePort(probe);
        if (port === undefined) {
          if (!probe.exec) found.add(at, `${kind} has no handler (httpGet, tcpSocket, grpc or exec)`);
        } else if (!declaresPort(c, port)) {
          found.add(at, `${kind} probes port ${port}, which the container does not declare`);
        }
      }
    }
  }
  return found.problems;
}

/**
 * @param container - a container
 * @param port - a port's name or number
 * @returns whether the container declares it
 */
export function declaresPort(container: IContainer, port: string | number): boolean {
  return (container.ports ?? []).some((p) => (typeof port === 'string' ? p.name === port : p.containerPort === port));
}

function ports(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('ports');
  for (const w of workloads) {
    for (const c of w.spec.template.spec.containers) {
      for (const p of c.ports ?? []) {
        if (!p.name)
          found.add(`${where}: ${describe(w)}: container ${c.name}`, `containerPort ${p.containerPort} has no name`);
      }
    }
  }
  return found.problems;
}

function gracePeriod(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('grace-period');
  for (const w of workloads) {
    if (w.spec.template.spec.terminationGracePeriodSeconds === undefined) {
      found.add(
        `${where}: ${describe(w)}`,
        'terminationGracePeriodSeconds must be set, long enough for the process to shut down cleanly',
      );
    }
  }
  return found.problems;
}

/**
 * @param image - an image reference
 * @returns whether it names one version: a digest, or a tag with a version number in it
 */
export function isPinned(image: string): boolean {
  const { tag, digest } = parseImage(image);
  if (digest) return true;
  return tag !== undefined && tag !== 'latest' && /\d/.test(tag);
}

function pinnedImages(workloads: readonly Workload[], { where }: RuleContext): Problem[] {
  const found = new Findings('images');
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      // Our images are skaffold's artifacts, which it tags on each build (service-rules.ts).
      if (serviceOf(w, c) !== undefined) continue;
      const image = c.image ?? '';
      if (!isPinned(image)) {
        found.add(
          `${where}: ${describe(w)}: container ${c.name}`,
          `image ${image || '(none)'} must be pinned to a version`,
        );
      }
    }
  }
  return found.problems;
}
