import type { IContainer, IEnvVar, ISecret, ISecretKeySelector } from 'kubernetes-models/v1';
import { ConfigError } from '@grider-ms-tickets/common';
import { imageName, runsJetStream } from './container-args';
import { endpointProblem, endpointWorkloads, resolveHost } from './endpoints';
import { describe, findObject, isPinned, parseImage } from './manifest';
import type { K8sObject, Workload } from './manifest';
import { Findings, type RuleContext, type Problem } from './rule-context';
import { SERVICES, type ServiceSpec } from './services';
import { clusterService, SHARED_CLUSTER_ANNOTATION } from './shared-cluster';

/** Variables whose value is a secret: they must come from a Secret, never from the manifest. */
const SECRET_NAME = /(^|_)(KEY|PASSWORD|SECRET|TOKEN)$/;

type ServiceFindings = Record<'services' | 'images' | 'probes' | 'grace-period' | 'env' | 'wiring', Findings>;

/**
 * The rules of our own services: each Deployment is there, runs skaffold's
 * image, sets every variable the service's own config loader requires, points
 * them at Services that exist, and gives the shutdown its time.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkServices(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const f: ServiceFindings = Findings.of('services', 'images', 'probes', 'grace-period', 'env', 'wiring');
  for (const service of SERVICES) {
    const workload = findObject<Workload>(objects, 'Deployment', service.deployment);
    const container = workload?.spec.template.spec.containers.find((c) => c.name === service.container);
    if (!workload || !container) {
      const missing = `Deployment ${service.deployment} with a container ${service.container} is missing`;
      f.services.add(context.where, missing);
      continue;
    }
    const workloadAt = `${context.where}: ${describe(workload)}`;
    const at = `${workloadAt}: container ${container.name}`;

    const image = container.image ?? '';
    const artifact = context.artifacts?.[service.dockerfile];
    if (context.artifacts && parseImage(image).repository !== artifact) {
      f.images.add(
        at,
        artifact
          ? `image ${image || '(none)'} is not ${artifact}, the image skaffold builds from ${service.dockerfile} for this overlay`
          : `skaffold builds no image from ${service.dockerfile} for this overlay`,
      );
    }
    // kubectl apply -k deploys exactly this; skaffold run replaces it with what it built.
    if (context.environment === 'prod' && !isPinned(image)) {
      f.images.add(at, `image ${image} must be pinned to a version in production (overlays/prod: images)`);
    }
    for (const [probe, path] of [
      ['readinessProbe', '/readyz'],
      ['livenessProbe', '/healthz'],
    ] as const) {
      const httpGet = container[probe]?.httpGet;
      if (httpGet?.path !== path || httpGet.port !== 'http') {
        f.probes.add(at, `${probe} must be httpGet ${path} on the port named http`);
      }
    }
    const settings = checkEnv(service, workload, container, objects, at, f.env);
    if (settings) {
      checkGracePeriod(
        workload,
        container,
        settings.shutdownTimeoutSeconds,
        service.name,
        workloadAt,
        f['grace-period'],
      );
      checkWiring(objects, container, settings, context, at, f);
    }
  }
  return Object.values(f).flatMap((found) => found.problems);
}

/**
 * Builds the environment the container would start with: literal values as
 * they are, and a placeholder for each value Kubernetes fills in at start-up.
 *
 * @param variable - one env entry
 * @param podName - the placeholder of metadata.name
 * @param objects - the objects of the overlay, whose Secrets give their values
 * @returns its value; undefined when it would be unset
 */
export function envPlaceholder(
  variable: IEnvVar,
  podName: string,
  objects: readonly K8sObject[] = [],
): string | undefined {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  if (from?.fieldRef) {
    return from.fieldRef.fieldPath === 'metadata.name' ? podName : `placeholder-${from.fieldRef.fieldPath}`;
  }
  if (from?.secretKeyRef) return secretValue(objects, from.secretKeyRef);
  if (from?.configMapKeyRef) return `placeholder-configmap-${from.configMapKeyRef.name}-${from.configMapKeyRef.key}`;
  return from?.resourceFieldRef ? '1' : '';
}

/**
 * What a secretKeyRef puts in the container: the value itself when the
 * overlay holds the Secret (a secretGenerator's, say), so the loader checks
 * it; nothing when the reference is optional and the Secret is made outside
 * the manifests, or not at all; otherwise a placeholder for a Secret made
 * outside the manifests.
 */
function secretValue(objects: readonly K8sObject[], ref: ISecretKeySelector): string | undefined {
  const secret = findObject<ISecret & K8sObject>(objects, 'Secret', ref.name ?? '');
  const encoded = secret?.data?.[ref.key];
  const value = secret?.stringData?.[ref.key] ?? (encoded && Buffer.from(encoded, 'base64').toString('utf8'));
  if (value !== undefined) return value;
  return ref.optional ? undefined : `placeholder-secret-${ref.name}-${ref.key}`;
}

/**
 * Runs the service's own config loader, with its real rules, on exactly the
 * environment the container would start with.
 *
 * @returns what the service would make of it, or undefined when it would refuse to start
 */
function checkEnv(
  service: ServiceSpec,
  workload: Workload,
  container: IContainer,
  objects: readonly K8sObject[],
  at: string,
  found: Findings,
) {
  if ((container.envFrom ?? []).length > 0) {
    found.add(at, 'envFrom hides which variables are set from this check: list them under env');
  }
  const env: NodeJS.ProcessEnv = {};
  for (const variable of container.env ?? []) {
    if (variable.name in env) found.add(at, `env ${variable.name} is set twice`);
    env[variable.name] = envPlaceholder(variable, `${workload.metadata.name}-5d9f7c6b8-x2x7q`, objects);
    if (SECRET_NAME.test(variable.name) && !variable.valueFrom?.secretKeyRef) {
      const take = 'take it from a Secret (valueFrom.secretKeyRef), not from the manifest';
      found.add(at, `env ${variable.name} holds a secret: ${take}`);
    }
  }
  const clientId = container.env?.find((v) => v.name === 'NATS_CLIENT_ID');
  if (clientId && clientId.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') {
    const why = 'NATS Streaming refuses a client id twice';
    found.add(at, `env NATS_CLIENT_ID must come from the pod name (fieldRef metadata.name): ${why}`);
  }
  try {
    return service.check(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) {
      found.add(at, `env ${problem} (${service.name}/src/config.ts would refuse to start)`);
    }
    return undefined;
  }
}

/**
 * The service listens on its `http` port, and what it connects to are
 * Services of this overlay, on ports they expose, or of the shared cluster it
 * deploys into, on the ports it lists; a StatefulSet's pod, by its DNS name
 * under a headless Service (`nats-0.nats-cluster`), is one of its pods, on a
 * port it declares. `EVENT_BUS` matches the NATS servers each NATS_URL
 * reaches, when they are in the overlay.
 */
function checkWiring(
  objects: readonly K8sObject[],
  container: IContainer,
  settings: ReturnType<ServiceSpec['check']>,
  { sharedCluster }: RuleContext,
  at: string,
  f: ServiceFindings,
): void {
  const httpPort = container.ports?.find((p) => p.name === 'http')?.containerPort;
  if (httpPort !== settings.httpPort) {
    const named = `the containerPort named http is ${httpPort ?? 'missing'}`;
    f.probes.add(at, `the service listens on ${settings.httpPort}, but ${named}`);
  }
  for (const { variable, host, port } of settings.dependencies) {
    const target = resolveHost(objects, host);
    // Only the Service's own name: the services and their stores share a namespace.
    const name = host.split('.')[0];
    const ofCluster = target ? undefined : clusterService(sharedCluster, host);
    if (ofCluster) {
      if (ofCluster.port !== port) {
        const listed = `the shared cluster's Service ${name} is on ${ofCluster.port} (${SHARED_CLUSTER_ANNOTATION})`;
        f.wiring.add(at, `env ${variable} points at port ${port}, but ${listed}`);
      }
    } else if (!target) f.wiring.add(at, `env ${variable} points at ${host}, but there is no Service ${name}`);
    else {
      const problem = endpointProblem(target, port);
      if (problem) f.wiring.add(at, `env ${variable} points at ${problem}`);
    }
  }
  for (const nats of settings.dependencies.filter((d) => d.variable === 'NATS_URL')) {
    const target = resolveHost(objects, nats.host);
    if (!target) continue;
    const servers = endpointWorkloads(target).flatMap((w) => w.spec.template.spec.containers);
    const selects =
      target.kind === 'service'
        ? `Service ${target.service.metadata.name} does not select`
        : `${nats.host} is not a pod that runs`;
    if (settings.eventBus === 'stan' && !servers.some((c) => imageName(c) === 'nats-streaming')) {
      f.wiring.add(at, `EVENT_BUS is stan, but ${selects} a NATS Streaming server`);
    }
    if (settings.eventBus === 'jetstream' && !servers.some(runsJetStream)) {
      f.wiring.add(at, `EVENT_BUS is jetstream, but ${selects} a nats server run with -js`);
    }
  }
}

/**
 * Seconds between the kubelet's SIGTERM and its SIGKILL that the service's own
 * shutdown must fit into, with room to spare: the preStop sleep runs first,
 * then the service has SHUTDOWN_TIMEOUT_SECONDS before it exits 1 on its own.
 */
export const GRACE_MARGIN_SECONDS = 5;

/**
 * The grace period must cover the preStop hook, the service's own shutdown
 * timeout and a margin, so the two can't drift apart: a SIGKILL before the
 * service's own timeout cuts its shutdown short (a Bull job left active, NATS
 * not drained).
 */
function checkGracePeriod(
  workload: Workload,
  container: IContainer,
  shutdownTimeoutSeconds: number,
  service: string,
  where: string,
  found: Findings,
): void {
  const grace = workload.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  const command = container.lifecycle?.preStop?.exec?.command ?? [];
  const preStop = command[0] === 'sleep' ? Number(command[1] ?? 0) || 0 : 0;
  const needs = preStop + shutdownTimeoutSeconds + GRACE_MARGIN_SECONDS;
  if (grace < needs) {
    const parts = `${preStop} s of preStop + SHUTDOWN_TIMEOUT_SECONDS ${shutdownTimeoutSeconds} + a ${GRACE_MARGIN_SECONDS} s margin`;
    found.add(
      where,
      `terminationGracePeriodSeconds is ${grace}; ${service}'s shutdown needs at least ${needs} (${parts})`,
    );
  }
}
