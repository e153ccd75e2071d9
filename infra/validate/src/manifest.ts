import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, IPodSpec, IPodTemplateSpec } from 'kubernetes-models/v1';

type ObjectMeta = NonNullable<IDeployment['metadata']>;

/** A Kubernetes object as a manifest holds it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta & { name: string };
  [field: string]: unknown;
}

/** The kinds whose pods we run. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;

/** A Deployment, StatefulSet or DaemonSet, after the schema check. */
export interface Workload extends K8sObject {
  kind: (typeof WORKLOAD_KINDS)[number];
  spec: {
    replicas?: number;
    selector: { matchLabels?: Record<string, string> };
    template: IPodTemplateSpec & { spec: IPodSpec };
    volumeClaimTemplates?: { metadata?: { name?: string } }[];
    serviceName?: string;
  };
}

/**
 * @param value - anything parsed from YAML
 * @returns whether it looks like a Kubernetes object
 */
export function isK8sObject(value: unknown): value is K8sObject {
  if (value === null || typeof value !== 'object') return false;
  const o = value as Partial<K8sObject>;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof o.metadata?.name === 'string';
}

/**
 * @param object - an object
 * @returns whether it runs pods (and has passed the schema check, so it has a template)
 */
export function isWorkload(object: K8sObject): object is Workload {
  return (WORKLOAD_KINDS as readonly string[]).includes(object.kind);
}

/**
 * @param object - an object
 * @returns `Kind/name`
 */
export function describe(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

/**
 * @param workload - a workload
 * @returns every container of its pods, init containers included
 */
export function containersOf(workload: Workload): IContainer[] {
  const pod = workload.spec.template.spec;
  return [...(pod.initContainers ?? []), ...pod.containers];
}

/**
 * @param image - an image reference, such as `registry:5000/team/app:1.2@sha256:…`
 * @returns its repository, tag and digest
 */
export function parseImage(image: string): { repository: string; tag?: string; digest?: string } {
  const [nameAndTag, digest] = image.split('@', 2);
  // A colon after the last slash is a tag; one before it is a registry's port.
  const lastSlash = nameAndTag.lastIndexOf('/');
  const colon = nameAndTag.indexOf(':', lastSlash + 1);
  return colon === -1
    ? { repository: nameAndTag, digest }
    : { repository: nameAndTag.slice(0, colon), tag: nameAndTag.slice(colon + 1), digest };
}
