import type { IService } from 'kubernetes-models/v1';
import { declaresPort, describe, findService, isWorkload, workloadsSelectedBy } from './manifest';
import type { K8sObject, Workload } from './manifest';

/** Where a connection to a host and port of the namespace lands. */
export type Endpoint =
  /** A Service, by its name (`orders-mongo-srv`, `orders-mongo-srv.default.svc`). */
  | { kind: 'service'; service: IService & K8sObject; pods: Workload[] }
  /** One pod of a StatefulSet, by its DNS name under the governing Service (`nats-0.nats-cluster`). */
  | { kind: 'pod'; workload: Workload; ordinal: number; service?: IService & K8sObject };

/**
 * Finds what a host name of the namespace names. A StatefulSet's pods have
 * their own DNS names, `<statefulset>-<n>.<serviceName>`, when that Service is
 * headless; any other name is a Service's, whose first label is its name.
 *
 * @param objects - the objects of one overlay
 * @param host - a host a service connects to
 * @returns the Service or the StatefulSet's pod, or undefined when the overlay has neither
 */
export function resolveHost(objects: readonly K8sObject[], host: string): Endpoint | undefined {
  const [first, second] = host.split('.');
  const pod = /^(.+)-(\d+)$/.exec(first);
  const statefulSet =
    pod && second !== undefined
      ? objects
          .filter(isWorkload)
          .find((w) => w.kind === 'StatefulSet' && w.metadata.name === pod[1] && w.spec.serviceName === second)
      : undefined;
  if (pod && statefulSet) {
    return { kind: 'pod', workload: statefulSet, ordinal: Number(pod[2]), service: findService(objects, second) };
  }
  const service = findService(objects, first);
  return service && { kind: 'service', service, pods: workloadsSelectedBy(objects, service.spec?.selector) };
}

/**
 * @param endpoint - where a connection lands
 * @param port - the port it connects to
 * @returns why the connection can't land there, or undefined when it can
 */
export function endpointProblem(endpoint: Endpoint, port: number): string | undefined {
  if (endpoint.kind === 'service') {
    const exposed = (endpoint.service.spec?.ports ?? []).some((p) => p.port === port);
    return exposed ? undefined : `port ${port}, which Service ${endpoint.service.metadata.name} does not expose`;
  }
  const { workload, ordinal, service } = endpoint;
  const replicas = workload.spec.replicas ?? 1;
  if (service?.spec?.clusterIP !== 'None') {
    return `a pod of ${describe(workload)}, but its Service ${workload.spec.serviceName} is not headless (clusterIP: None): only a headless governing Service gives pods DNS names`;
  }
  if (ordinal >= replicas) return `pod ${ordinal} of ${describe(workload)}, which runs ${replicas}`;
  const declared = workload.spec.template.spec.containers.some((c) => declaresPort(c, port));
  return declared ? undefined : `port ${port}, which the pods of ${describe(workload)} do not declare`;
}

/**
 * @param endpoint - where a connection lands
 * @returns the workloads whose pods receive it
 */
export function endpointWorkloads(endpoint: Endpoint): Workload[] {
  return endpoint.kind === 'service' ? endpoint.pods : [endpoint.workload];
}

/**
 * @param endpoint - where a connection lands
 * @param port - the port it connects to
 * @returns the port as the receiving pods see it (a Service's targetPort), the name or number a NetworkPolicy opens
 */
export function podPort(endpoint: Endpoint, port: number): string | number {
  if (endpoint.kind === 'pod') return port;
  const servicePort = (endpoint.service.spec?.ports ?? []).find((p) => p.port === port);
  return servicePort?.targetPort ?? port;
}
