import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { RenderError } from './render';

/**
 * The annotation, on the Kustomization itself (`metadata.annotations` of an
 * overlay's kustomization.yaml, which kustomize doesn't copy to any object),
 * that says the overlay deploys into a cluster that already runs other
 * services, and which of that cluster's Services ours use, as `name:port`,
 * comma-separated. overlays/course has it: `nats-srv:4222`.
 */
export const SHARED_CLUSTER_ANNOTATION = 'ticketing/shared-cluster';

/**
 * The rules relaxed for an overlay with the annotation, and why. Every other
 * rule, and every other part of these three, applies as everywhere.
 */
export const SHARED_CLUSTER_EXEMPTIONS = {
  'network-policy':
    "no namespace-wide default deny: it would select the cluster's other pods too and cut them off; instead, no policy may select every pod",
  auth: "a service whose NATS_URL is a Service of the cluster may connect without credentials: that NATS server and its users are not in the overlay (the course's has none)",
  wiring:
    'NATS_URL, REDIS_HOST and MONGO_URI may name a Service of the cluster listed in the annotation, on its listed port; EVENT_BUS is not checked against a server that is not in the overlay',
} as const;

/** A Service of the shared cluster, which the overlay uses but doesn't deploy. */
export interface ClusterService {
  name: string;
  port: number;
}

/** What an overlay with the annotation says of the cluster it deploys into. */
export interface SharedCluster {
  services: ClusterService[];
}

const ENTRY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?):(\d{1,5})$/;

/**
 * @param dir - an overlay's folder
 * @returns the shared cluster its kustomization.yaml declares, or undefined for an overlay that deploys everything it uses
 * @throws RenderError when the annotation is there but isn't a list of `name:port`
 */
export function sharedClusterOf(dir: string): SharedCluster | undefined {
  const file = path.join(dir, 'kustomization.yaml');
  if (!fs.existsSync(file)) return undefined;
  const kustomization = parse(fs.readFileSync(file, 'utf8')) as {
    metadata?: { annotations?: Record<string, unknown> };
  } | null;
  const value = kustomization?.metadata?.annotations?.[SHARED_CLUSTER_ANNOTATION];
  if (value === undefined) return undefined;
  const entries = typeof value === 'string' ? value.split(',').map((e) => e.trim()) : [];
  const services = entries.map((entry) => ENTRY.exec(entry)).filter((m) => m !== null);
  if (services.length === 0 || services.length !== entries.length) {
    throw new RenderError(
      `${file}: annotation ${SHARED_CLUSTER_ANNOTATION} must list the cluster's Services as name:port, comma-separated (it is ${JSON.stringify(value)})`,
    );
  }
  return { services: services.map((m) => ({ name: m[1], port: Number(m[3]) })) };
}

/**
 * @param cluster - the shared cluster, if the overlay deploys into one
 * @param host - a host a service connects to, such as `nats-srv` or `nats-srv.default.svc`
 * @returns the cluster's Service of that name, if it is one
 */
export function clusterService(cluster: SharedCluster | undefined, host: string): ClusterService | undefined {
  const name = host.split('.')[0];
  return cluster?.services.find((s) => s.name === name);
}
