import type { IContainer, IEnvVar } from 'kubernetes-models/v1';
import { ConfigError } from '@grider-ms-tickets/common';
import { commandLine, hasFlag } from './container-args';
import { describe, isWorkload, parseImage, type K8sObject, type Workload } from './manifest';
import { isPinned } from './pod-rules';
import type { Problem } from './problem';
import { Findings, type RuleContext } from './rule-context';
import { findService, workloadsSelectedBy } from './selectors';
import { SERVICES, type ServiceSpec } from './services';

/** Variables whose value is a secret: they must come from a Secret, never from the manifest. */
const SECRET_NAME = /(^|_)(KEY|PASSWORD|SECRET|TOKEN)$/;

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
  const f: ServiceFindings = {
    services: new Findings('services'),
    images: new Findings('images'),
    probes: new Findings('probes'),
    grace: new Findings('grace-period'),
    env: new Findings('env'),
    wiring: new Findings('wiring'),
  };
  for (const service of SERVICES) {
    const workload = objects.find(
      (o): o is Workload => isWorkload(o) && o.kind === 'Deployment' && o.metadata.name === service.deployment,
    );
    const container = workload?.spec.template.spec.containers.find((c) => c.name === service.container);
    if (!workload || !container) {
      f.services.add(
        context.where,
        `Deployment ${service.deployment} with a container ${service.container} is missing`,
      );
      continue;
    }
    const workloadAt = `${context.where}: ${describe(workload)}`;
    const at = `${workloadAt}: container ${container.name}`;
    checkImage(service, container, context, at, f.images);
    checkProbesAndGrace(service, workload, container, { workloadAt, at }, f);
    checkEnv(objects, service, workload, container, at, f);
  }
  return Object.values(f).flatMap((findings) => findings.problems);
}

interface ServiceFindings {
  services: Findings;
  images: Findings;
  probes: Findings;
  grace: Findings;
  env: Findings;
  wiring: Findings;
}

function checkImage(
  service: ServiceSpec,
  container: IContainer,
  context: RuleContext,
  at: string,
  found: Findings,
): void {
  const image = container.image ?? '';
  const { repository } = parseImage(image);
  const artifact = context.artifacts?.[service.dockerfile];
  if (context.artifacts && repository !== artifact) {
    found.add(
      at,
      artifact === undefined
        ? `skaffold builds no image from ${service.dockerfile} for this overlay`
        : `image ${image || '(none)'} is not ${artifact}, the image skaffold builds from ${service.dockerfile} for this overlay`,
    );
  }
  // kubectl apply -k deploys exactly this; skaffold run replaces it with what it built.
  if (context.environment === 'prod' && !isPinned(image)) {
    found.add(at, `image ${image} must be pinned to a version in production (overlays/prod: images)`);
  }
}

function checkProbesAndGrace(
  service: ServiceSpec,
  workload: Workload,
  container: IContainer,
  { workloadAt, at }: { workloadAt: string; at: string },
  f: ServiceFindings,
): void {
  const expect = { readinessProbe: '/readyz', livenessProbe: '/healthz' } as const;
  for (const [probe, path] of Object.entries(expect) as [keyof typeof expect, string][]) {
    const httpGet = container[probe]?.httpGet;
    if (httpGet?.path !== path || httpGet.port !== 'http')
      f.probes.add(at, `${probe} must be httpGet ${path} on the port named http`);
  }
  const grace = workload.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  if (grace < service.minGracePeriodSeconds) {
    f.grace.add(
      workloadAt,
      `terminationGracePeriodSeconds is ${grace}; ${service.name}'s shutdown needs at least ${service.minGracePeriodSeconds}`,
    );
  }
}

/**
 * Builds the environment the container would start with: literal values as
 * they are, and a placeholder for each value Kubernetes fills in at start-up.
 *
 * @param variable - one env entry
 * @param podName - the placeholder of metadata.name
 * @returns its value
 */
export function envPlaceholder(variable: IEnvVar, podName: string): string {
  if (variable.value !== undefined) return variable.value;
  const from = variable.valueFrom;
  if (from?.fieldRef)
    return from.fieldRef.fieldPath === 'metadata.name' ? podName : `placeholder-${from.fieldRef.fieldPath}`;
  if (from?.secretKeyRef) return `placeholder-secret-${from.secretKeyRef.name}-${from.secretKeyRef.key}`;
  if (from?.configMapKeyRef) return `placeholder-configmap-${from.configMapKeyRef.name}-${from.configMapKeyRef.key}`;
  if (from?.resourceFieldRef) return '1';
  return '';
}

function checkEnv(
  objects: readonly K8sObject[],
  service: ServiceSpec,
  workload: Workload,
  container: IContainer,
  at: string,
  f: ServiceFindings,
): void {
  const found = f.env;
  if ((container.envFrom ?? []).length > 0) {
    found.add(at, 'envFrom hides which variables are set from this check: list them under env');
  }
  const env: NodeJS.ProcessEnv = {};
  const podName = `${workload.metadata.name}-5d9f7c6b8-x2x7q`;
  for (const variable of container.env ?? []) {
    if (variable.name in env) found.add(at, `env ${variable.name} is set twice`);
    env[variable.name] = envPlaceholder(variable, podName);
    if (SECRET_NAME.test(variable.name) && !variable.valueFrom?.secretKeyRef) {
      found.add(
        at,
        `env ${variable.name} holds a secret: take it from a Secret (valueFrom.secretKeyRef), not from the manifest`,
      );
    }
  }
  const clientId = container.env?.find((v) => v.name === 'NATS_CLIENT_ID');
  if (clientId && clientId.valueFrom?.fieldRef?.fieldPath !== 'metadata.name') {
    found.add(
      at,
      'env NATS_CLIENT_ID must come from the pod name (fieldRef metadata.name): NATS Streaming refuses a client id twice',
    );
  }

  // The service's own loader, with its real rules, on exactly this environment.
  let settings: ReturnType<ServiceSpec['check']>;
  try {
    settings = service.check(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems)
      found.add(at, `env ${problem} (${service.name}/src/config.ts would refuse to start)`);
    return;
  }

  const httpPort = container.ports?.find((p) => p.name === 'http')?.containerPort;
  if (httpPort !== settings.httpPort) {
    f.probes.add(
      at,
      `the service listens on ${settings.httpPort}, but the containerPort named http is ${httpPort ?? 'missing'}`,
    );
  }
  for (const dependency of settings.dependencies) {
    checkDependency(objects, dependency, at, f.wiring);
  }
  checkEventBus(objects, settings, at, f.wiring);
}

function checkDependency(
  objects: readonly K8sObject[],
  dependency: ReturnType<ServiceSpec['check']>['dependencies'][number],
  at: string,
  found: Findings,
): void {
  // Only the Service's own name: the services and their stores share a namespace.
  const serviceName = dependency.host.split('.')[0];
  const target = findService(objects, serviceName);
  if (!target) {
    found.add(at, `env ${dependency.variable} points at ${dependency.host}, but there is no Service ${serviceName}`);
    return;
  }
  if (!(target.spec?.ports ?? []).some((p) => p.port === dependency.port)) {
    found.add(
      at,
      `env ${dependency.variable} points at port ${dependency.port}, which Service ${serviceName} does not expose`,
    );
  }
}

function checkEventBus(
  objects: readonly K8sObject[],
  settings: ReturnType<ServiceSpec['check']>,
  at: string,
  found: Findings,
): void {
  const nats = settings.dependencies.find((d) => d.variable === 'NATS_URL');
  const service = nats && findService(objects, nats.host.split('.')[0]);
  if (!service) return;
  const servers = workloadsSelectedBy(objects, service.spec?.selector).flatMap((w) => w.spec.template.spec.containers);
  const streaming = servers.some((c) => parseImage(c.image ?? '').repository.endsWith('nats-streaming'));
  const jetstream = servers.some(
    (c) => /(^|\/)nats$/.test(parseImage(c.image ?? '').repository) && hasFlag(commandLine(c), ['-js', '--jetstream']),
  );
  if (settings.eventBus === 'stan' && !streaming) {
    found.add(at, `EVENT_BUS is stan, but Service ${service.metadata.name} does not select a NATS Streaming server`);
  }
  if (settings.eventBus === 'jetstream' && !jetstream) {
    found.add(
      at,
      `EVENT_BUS is jetstream, but Service ${service.metadata.name} does not select a nats server run with -js`,
    );
  }
}
