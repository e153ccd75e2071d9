import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { isEmptySelector, selects } from './label-selector';
import { declaresPort, describe, isWorkload, type K8sObject, type Workload } from './manifest';
import { Findings, type Problem, type RuleContext } from './rule-context';
import { SHARED_CLUSTER_ANNOTATION } from './shared-cluster';

/** A NetworkPolicy, after the schema check. */
export type Policy = INetworkPolicy & K8sObject;

/**
 * Every pod is behind a NetworkPolicy: the namespace denies ingress by
 * default (a policy that selects every pod and allows nothing), and each
 * workload's pods are selected by a policy of their own that says who may
 * reach them. Each of those policies selects pods, on ports they have.
 *
 * In a shared cluster (shared-cluster.ts) it is the other way round: a policy
 * that selects every pod would select the cluster's other services too, so
 * none may; each workload still needs a policy of its own.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkNetworkPolicies(objects: readonly K8sObject[], { where, sharedCluster }: RuleContext): Problem[] {
  const found = new Findings('network-policy');
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as Policy[];
  const workloads = objects.filter(isWorkload);
  if (sharedCluster) {
    for (const policy of policies.filter((p) => isEmptySelector(p.spec?.podSelector))) {
      found.add(
        `${where}: ${describe(policy)}`,
        `selects every pod of the namespace, the other services' of the shared cluster too (${SHARED_CLUSTER_ANNOTATION}): select this overlay's pods only`,
      );
    }
  } else if (!policies.some(isDefaultDenyIngress)) {
    found.add(
      where,
      'no NetworkPolicy denies ingress by default (podSelector: {}, policyTypes: [Ingress], no ingress rule): a pod that no policy selects accepts connections from anywhere',
    );
  }
  const allows = policies.filter((p) => !isEmptySelector(p.spec?.podSelector));
  for (const w of workloads) {
    const labels = w.spec.template.metadata?.labels ?? {};
    if (!allows.some((p) => selects(p.spec?.podSelector, labels))) {
      found.add(
        `${where}: ${describe(w)}`,
        `no NetworkPolicy of its own selects its pods (labels ${JSON.stringify(labels)}): say who may reach them in one (an empty ingress list if nobody)`,
      );
    }
  }
  for (const policy of allows) {
    const at = `${where}: ${describe(policy)}`;
    const selected = workloads.filter((w) => selects(policy.spec?.podSelector, w.spec.template.metadata?.labels));
    if (selected.length === 0) {
      found.add(at, `selects no pods (podSelector ${JSON.stringify(policy.spec?.podSelector)})`);
      continue;
    }
    for (const rule of policy.spec?.ingress ?? []) {
      for (const { port } of rule.ports ?? []) {
        if (port === undefined) continue;
        for (const w of selected.filter((s) => !servesPort(s, port))) {
          found.add(
            at,
            `allows port ${port}, which ${describe(w)} (selected) does not have: the rule lets nothing in there`,
          );
        }
      }
    }
  }
  return found.problems;
}

function isDefaultDenyIngress(policy: Policy): boolean {
  const types = policy.spec?.policyTypes ?? ['Ingress'];
  return isEmptySelector(policy.spec?.podSelector) && types.includes('Ingress') && !policy.spec?.ingress?.length;
}

function servesPort(w: Workload, port: string | number): boolean {
  return w.spec.template.spec.containers.some((c) => declaresPort(c, port));
}

/**
 * Whether the policies let pods with some labels, in the same namespace, reach
 * a workload's pods on a port. A pod no policy selects for ingress accepts
 * anything; otherwise one of those policies must have a rule whose peers take
 * in the sender (a podSelector of this namespace, or every pod of every
 * namespace) and whose ports take in the port.
 *
 * @param policies - the NetworkPolicies of one overlay
 * @param fromLabels - the sending pods' labels
 * @param to - the receiving workload
 * @param port - the port as its pods listen on it: a number, or a container port's name
 * @returns whether it may
 */
export function allowsTraffic(
  policies: readonly Policy[],
  fromLabels: Readonly<Record<string, string>>,
  to: Workload,
  port: string | number,
): boolean {
  const toLabels = to.spec.template.metadata?.labels ?? {};
  const isolating = policies.filter(
    (p) => selects(p.spec?.podSelector, toLabels) && (p.spec?.policyTypes ?? ['Ingress']).includes('Ingress'),
  );
  if (isolating.length === 0) return true;
  const declared = to.spec.template.spec.containers
    .flatMap((c) => c.ports ?? [])
    .find((p) => (typeof port === 'string' ? p.name === port : p.containerPort === port));
  const number = typeof port === 'number' ? port : declared?.containerPort;
  const name = typeof port === 'string' ? port : declared?.name;
  return isolating.some((policy) =>
    (policy.spec?.ingress ?? []).some((rule) => {
      const peers = rule.from ?? [];
      const fromOk =
        peers.length === 0 ||
        peers.some((peer) => {
          if (peer.ipBlock) return false;
          // A namespaceSelector with labels picks namespaces this check can't see: not ours, for all it knows.
          if (peer.namespaceSelector && !isEmptySelector(peer.namespaceSelector)) return false;
          return peer.podSelector === undefined || selects(peer.podSelector, fromLabels);
        });
      const ports = rule.ports ?? [];
      const portOk =
        ports.length === 0 ||
        ports.some(
          (p) =>
            p.port === undefined ||
            p.port === name ||
            p.port === number ||
            (typeof p.port === 'number' &&
              p.endPort !== undefined &&
              number !== undefined &&
              number >= p.port &&
              number <= p.endPort),
        );
      return fromOk && portOk;
    }),
  );
}
