import type { IDeployment } from 'kubernetes-models/apps/v1';
import type { IContainer, IPodSpec, IPodTemplateSpec, IService } from 'kubernetes-models/v1';

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

/**
 * @param image - an image reference
 * @returns whether it names one version: a digest, or a tag with a version number in it
 */
export function isPinned(image: string): boolean {
  const { tag, digest } = parseImage(image);
  return digest !== undefined || (tag !== undefined && tag !== 'latest' && /\d/.test(tag));
}

/**
 * @param container - a container
 * @param port - a port's name or number
 * @returns whether the container declares it
 */
export function declaresPort(container: IContainer, port: string | number): boolean {
  return (container.ports ?? []).some((p) => (typeof port === 'string' ? p.name === port : p.containerPort === port));
}

/**
 * @param objects - the objects of one overlay
 * @param selector - label selector entries (matchLabels, or a Service's selector)
 * @returns the workloads whose pods it picks (none for an empty selector)
 */
export function workloadsSelectedBy(
  objects: readonly K8sObject[],
  selector: Record<string, string> | undefined,
): Workload[] {
  const entries = Object.entries(selector ?? {});
  return objects
    .filter(isWorkload)
    .filter((w) => entries.length > 0 && entries.every(([k, v]) => w.spec.template.metadata?.labels?.[k] === v));
}

/**
 * @param objects - the objects of one overlay
 * @param kind - a kind
 * @param name - a name
 * @returns that object
 */
export function findObject<T extends K8sObject = K8sObject>(
  objects: readonly K8sObject[],
  kind: string,
  name: string,
): T | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name) as T | undefined;
}

/**
 * @param objects - the objects of one overlay
 * @param name - a Service's name
 * @returns that Service
 */
export const findService = (objects: readonly K8sObject[], name: string) =>
  findObject<IService & K8sObject>(objects, 'Service', name);
