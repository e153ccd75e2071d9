import { ConfigError } from '@grider-ms-tickets/common';
import type { IContainer } from 'kubernetes-models/v1';
import { commandLine, optionValue, runsJetStream, runsRedisServer, runsSentinel } from './container-args';
import { endpointWorkloads, podPort, resolveHost } from './endpoints';
import { DEFAULT_ROUTE_PORT, routeHosts } from './ha-rules';
import { containersOf, describe, findObject, isWorkload, type K8sObject, type Workload } from './manifest';
import { allowsTraffic, type Policy } from './network-policy-rules';
import { minimumReplicas } from './replicas';
import { Findings, type Problem, type RuleContext } from './rule-context';
import { envPlaceholder } from './service-rules';
import { SERVICES, type Dependency, type ServiceSpec } from './services';

/** One connection the pods must be let through for. */
interface Flow {
  from: Workload;
  to: Workload;
  /** As the receiving pods listen: a number, or a container port's name. */
  port: string | number;
  why: string;
}

/**
 * The NetworkPolicies let through the traffic the overlay itself needs: the
 * servers of a JetStream cluster route to each other; Redis replicas and
 * Sentinels reach the Redis servers; Sentinels reach each other; each of our
 * services reaches what it connects to (its NATS servers, Redis or its
 * Sentinels, MongoDB), when that is in the overlay.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkClusterTraffic(objects: readonly K8sObject[], { where }: RuleContext): Problem[] {
  const found = new Findings('network-policy');
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as Policy[];
  for (const flow of flowsOf(objects)) {
    if (allowsTraffic(policies, flow.from.spec.template.metadata?.labels ?? {}, flow.to, flow.port)) continue;
    found.add(
      `${where}: ${describe(flow.to)}`,
      `no NetworkPolicy lets ${describe(flow.from)} in on port ${flow.port} (${flow.why})`,
    );
  }
  return found.problems;
}

function listenPort(c: IContainer, fallback: number): number {
  return Number(optionValue(commandLine(c), ['--port']) ?? fallback);
}

function flowsOf(objects: readonly K8sObject[]): Flow[] {
  const workloads = objects.filter(isWorkload);
  const flows: Flow[] = [];
  for (const w of workloads) {
    const nats = containersOf(w).find(runsJetStream);
    if (nats && minimumReplicas(objects, w) > 1) {
      const port = routeHosts(objects, w, nats)[0]?.port ?? DEFAULT_ROUTE_PORT;
      flows.push({ from: w, to: w, port, why: 'the JetStream cluster routes' });
    }
  }
  const redis = workloads.flatMap((w) =>
    containersOf(w)
      .filter(runsRedisServer)
      .map((c) => ({ w, c })),
  );
  const sentinels = workloads.flatMap((w) =>
    containersOf(w)
      .filter(runsSentinel)
      .map((c) => ({ w, c })),
  );
  const redisPods = redis.reduce((sum, { w }) => sum + minimumReplicas(objects, w), 0);
  for (const to of redis) {
    const port = listenPort(to.c, 6379);
    if (redisPods > 1) for (const from of redis) flows.push({ from: from.w, to: to.w, port, why: 'Redis replication' });
    for (const from of sentinels) flows.push({ from: from.w, to: to.w, port, why: 'Sentinel watching Redis' });
  }
  for (const to of sentinels) {
    const port = listenPort(to.c, 26379);
    for (const from of sentinels) flows.push({ from: from.w, to: to.w, port, why: 'Sentinels talking to each other' });
  }
  for (const service of SERVICES) {
    const w = findObject<Workload>(objects, 'Deployment', service.deployment);
    const c = w?.spec.template.spec.containers.find((container) => container.name === service.container);
    if (!w || !c) continue;
    for (const { variable, host, port } of dependenciesOf(objects, service, w, c)) {
      const target = resolveHost(objects, host);
      if (!target) continue;
      for (const to of endpointWorkloads(target)) {
        flows.push({ from: w, to, port: podPort(target, port), why: `${variable} of ${service.name}` });
      }
    }
  }
  // A pair may come up twice (a Sentinel beside each Redis server): name it once.
  const seen = new Set<string>();
  return flows.filter((f) => {
    const key = `${describe(f.from)} ${describe(f.to)} ${f.port}`;
    return !seen.has(key) && seen.add(key);
  });
}

/** What the service connects to, as its own config loader reads the container's env; none when it would refuse to start. */
function dependenciesOf(objects: readonly K8sObject[], service: ServiceSpec, w: Workload, c: IContainer): Dependency[] {
  const env: NodeJS.ProcessEnv = {};
  for (const variable of c.env ?? []) env[variable.name] = envPlaceholder(variable, `${w.metadata.name}-0`, objects);
  try {
    return service.check(env).dependencies;
  } catch (err) {
    // service-rules.ts names each variable it refuses.
    if (err instanceof ConfigError) return [];
    throw err;
  }
}
