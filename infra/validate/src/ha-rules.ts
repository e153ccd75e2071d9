import type { IContainer } from 'kubernetes-models/v1';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { mountedConfigFile, envVar } from './config-files';
import { commandLine, optionValue, runsJetStream, runsRedisServer } from './container-args';
import { selects } from './label-selector';
import { containersOf, describe, findObject, findService, isWorkload, type K8sObject, type Workload } from './manifest';
import { autoscalersOf, autoscalerOf, minimumReplicas } from './replicas';
import { Findings, type Problem, type RuleContext } from './rule-context';
import { serviceOf } from './services';

/**
 * The fewest JetStream servers for a replicated stream. A stream's replicas
 * (and the cluster's metadata) stay writable while a majority of them is up:
 * with two servers, losing either stops both, so a second copy buys nothing
 * before there are three.
 */
export const MIN_JETSTREAM_CLUSTER = 3;

/** The port NATS servers route to each other on, when the config doesn't say. */
export const DEFAULT_ROUTE_PORT = 6222;

type HaFindings = Record<'replication' | 'availability', Findings>;

/**
 * What high availability rests on: a replicated stream has a JetStream
 * cluster to live on (at least three servers, no fewer than its replicas),
 * whose servers route to every pod of the StatefulSet by name; Redis has as
 * many replicas as the service waits for (REDIS_WAIT_REPLICAS), and its pods
 * know how many they are (REDIS_PODS); every workload
 * that keeps more than one pod up, and each of our services in production,
 * has a PodDisruptionBudget; each autoscaler scales a workload of the overlay,
 * which leaves the count to it.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkHighAvailability(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const f: HaFindings = Findings.of('replication', 'availability');
  const workloads = objects.filter(isWorkload);
  checkStreamReplicas(objects, workloads, context, f.replication);
  for (const w of workloads.filter((w) => containersOf(w).some(runsJetStream))) {
    if (minimumReplicas(objects, w) > 1) checkNatsCluster(objects, w, context, f.replication);
  }
  checkWaitReplicas(objects, workloads, context, f.replication);
  checkPodCounts(objects, workloads, context, f.replication);
  checkDisruptionBudgets(objects, workloads, context, f.availability);
  checkAutoscalers(objects, context, f.availability);
  return Object.values(f).flatMap((found) => found.problems);
}

/**
 * @param c - a container
 * @param variable - an env variable's name
 * @returns its value when the manifest gives it as a whole number; undefined otherwise (the config loader judges the rest)
 */
function intEnv(c: IContainer, variable: string): number | undefined {
  const value = envVar(c, variable)?.value?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}

/**
 * @param objects - the objects of one overlay
 * @param servers - the workloads that run the server
 * @returns their pods, and the workloads to name in a message
 */
function podsOf(objects: readonly K8sObject[], servers: readonly Workload[]): { pods: number; names: string } {
  const pods = servers.reduce((sum, w) => sum + minimumReplicas(objects, w), 0);
  const names = servers.map((w) => `${describe(w)}: ${minimumReplicas(objects, w)}`).join(', ');
  return { pods, names: names || 'none' };
}

function checkStreamReplicas(
  objects: readonly K8sObject[],
  workloads: readonly Workload[],
  { where }: RuleContext,
  found: Findings,
): void {
  const { pods, names } = podsOf(
    objects,
    workloads.filter((w) => containersOf(w).some(runsJetStream)),
  );
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      const replicas = intEnv(c, 'NATS_STREAM_REPLICAS');
      if (replicas === undefined || replicas <= 1) continue;
      const at = `${where}: ${describe(w)}: container ${c.name}`;
      if (pods < MIN_JETSTREAM_CLUSTER) {
        found.add(
          at,
          `NATS_STREAM_REPLICAS ${replicas} asks for a replicated stream, which needs a JetStream cluster of at least ${MIN_JETSTREAM_CLUSTER} servers; the overlay runs ${pods} (${names})`,
        );
      } else if (replicas > pods) {
        found.add(
          at,
          `NATS_STREAM_REPLICAS ${replicas} is more than the ${pods} JetStream servers (${names}): the stream could never be created`,
        );
      }
    }
  }
}

/**
 * The hosts of the cluster routes of a NATS server: `--routes` on its command
 * line, and `routes` in its config file.
 *
 * @param objects - the objects of one overlay
 * @param w - a workload that runs NATS servers
 * @param c - its nats container
 * @returns each route's host and port
 */
export function routeHosts(
  objects: readonly K8sObject[],
  w: Workload,
  c: IContainer,
): { host: string; port: number }[] {
  const argv = commandLine(c);
  const urls = (optionValue(argv, ['--routes']) ?? '').split(',');
  const file = optionValue(argv, ['-c', '--config']);
  const conf = file === undefined ? undefined : mountedConfigFile(objects, w, c, file);
  if (conf && 'text' in conf) {
    // Comments name settings too; they are not settings.
    const text = conf.text.replace(/(^|\s)(#|\/\/).*$/gm, '$1');
    const list = /\broutes\s*[:=]?\s*\[([^\]]*)\]/.exec(text)?.[1] ?? '';
    urls.push(...list.split(/[\s,]+/));
  }
  return urls
    .map((url) => url.trim().replace(/^["']|["']$/g, ''))
    .filter((url) => /^[a-z-]+:\/\//.test(url))
    .map((url) => {
      const parsed = new URL(url);
      return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : DEFAULT_ROUTE_PORT };
    });
}

/**
 * @param objects - the objects of one overlay
 * @param w - a workload that runs NATS servers
 * @param c - its nats container
 * @returns whether the server has a name of its own: `-n`, `--name`, `--server_name` or `server_name` in its config
 */
function hasServerName(objects: readonly K8sObject[], w: Workload, c: IContainer): boolean {
  const argv = commandLine(c);
  if (optionValue(argv, ['-n', '--name', '--server_name'])) return true;
  const file = optionValue(argv, ['-c', '--config']);
  const conf = file === undefined ? undefined : mountedConfigFile(objects, w, c, file);
  return conf !== undefined && 'text' in conf && /^\s*server_name\s*[:=]/m.test(conf.text);
}

/**
 * Several JetStream servers are one cluster only if each routes to the
 * others: every pod of the StatefulSet, by its DNS name under a headless
 * governing Service, is in the routes, and each server has a name of its own.
 */
function checkNatsCluster(objects: readonly K8sObject[], w: Workload, { where }: RuleContext, found: Findings): void {
  const at = `${where}: ${describe(w)}`;
  const replicas = minimumReplicas(objects, w);
  const c = containersOf(w).find(runsJetStream) as IContainer;
  const routes = routeHosts(objects, w, c);
  if (routes.length === 0) {
    found.add(
      at,
      `runs ${replicas} JetStream servers without cluster routes (cluster { routes } in its config, or --routes): they would be ${replicas} separate servers, each with its own streams`,
    );
    return;
  }
  if (w.kind !== 'StatefulSet' || !w.spec.serviceName) {
    found.add(at, 'a JetStream cluster routes to its servers by name: run them as a StatefulSet with a serviceName');
    return;
  }
  if (findService(objects, w.spec.serviceName)?.spec?.clusterIP !== 'None') {
    found.add(
      at,
      `serviceName ${w.spec.serviceName} must be a headless Service (clusterIP: None): only then does each pod have the DNS name its routes use`,
    );
  }
  const routed = new Set(routes.map((r) => r.host.split('.').slice(0, 2).join('.')));
  for (let i = 0; i < replicas; i++) {
    const pod = `${w.metadata.name}-${i}.${w.spec.serviceName}`;
    if (!routed.has(pod))
      found.add(at, `the cluster routes don't name ${pod}: that server would never join the cluster`);
  }
  if (!hasServerName(objects, w, c)) {
    found.add(
      at,
      'each server of a JetStream cluster needs a stable name of its own (server_name in the config, or -n): the pod name',
    );
  }
}

function checkWaitReplicas(
  objects: readonly K8sObject[],
  workloads: readonly Workload[],
  { where }: RuleContext,
  found: Findings,
): void {
  const servers = workloads.filter((w) => containersOf(w).some(runsRedisServer));
  // A Redis outside the overlay (a shared cluster's) is not ours to count.
  if (servers.length === 0) return;
  const { pods, names } = podsOf(objects, servers);
  const replicas = Math.max(pods - 1, 0);
  for (const w of workloads) {
    for (const c of containersOf(w)) {
      const wait = intEnv(c, 'REDIS_WAIT_REPLICAS');
      if (wait === undefined || wait <= replicas) continue;
      found.add(
        `${where}: ${describe(w)}: container ${c.name}`,
        `REDIS_WAIT_REPLICAS ${wait} is more than the ${replicas} Redis replica(s) (${names} pod(s), one of them the master): every write would wait for copies that can't be made, and time out`,
      );
    }
  }
}

/**
 * The Redis start scripts (components/ha) learn how many pods their
 * StatefulSet has from REDIS_PODS, to ask each pod's Sentinel for the master;
 * Kubernetes can't hand a pod its workload's replicas, so the number is
 * written twice and must agree. With fewer, a pod never asks the others; with
 * more, it waits on a pod that doesn't exist.
 */
function checkPodCounts(
  objects: readonly K8sObject[],
  workloads: readonly Workload[],
  { where }: RuleContext,
  found: Findings,
): void {
  for (const w of workloads) {
    const replicas = minimumReplicas(objects, w);
    for (const c of containersOf(w)) {
      const pods = intEnv(c, 'REDIS_PODS');
      if (pods === undefined || pods === replicas) continue;
      found.add(
        `${where}: ${describe(w)}: container ${c.name}`,
        `REDIS_PODS ${pods} is not the ${replicas} replica(s) of its own workload: the start script would ask the wrong pods for the master`,
      );
    }
  }
}

function checkDisruptionBudgets(
  objects: readonly K8sObject[],
  workloads: readonly Workload[],
  { where, environment }: RuleContext,
  found: Findings,
): void {
  const budgets = objects.filter((o) => o.kind === 'PodDisruptionBudget') as (IPodDisruptionBudget & K8sObject)[];
  for (const w of workloads.filter((w) => w.kind !== 'DaemonSet')) {
    const replicas = minimumReplicas(objects, w);
    const ours = environment === 'prod' && w.spec.template.spec.containers.some((c) => serviceOf(w, c));
    if (replicas <= 1 && !ours) continue;
    const labels = w.spec.template.metadata?.labels ?? {};
    if (budgets.some((pdb) => selects(pdb.spec?.selector, labels))) continue;
    found.add(
      `${where}: ${describe(w)}`,
      replicas > 1
        ? `runs ${replicas} pods, and no PodDisruptionBudget selects them: a node drain or a cluster upgrade may evict them all at once`
        : 'production needs a PodDisruptionBudget for it',
    );
  }
}

function checkAutoscalers(objects: readonly K8sObject[], { where }: RuleContext, found: Findings): void {
  for (const hpa of autoscalersOf(objects)) {
    const at = `${where}: ${describe(hpa)}`;
    const ref = hpa.spec?.scaleTargetRef;
    const target = ref && findObject<Workload>(objects, ref.kind, ref.name);
    if (!ref || !target || !isWorkload(target)) {
      found.add(at, `scales ${ref?.kind}/${ref?.name}, which is not a workload of this overlay`);
      continue;
    }
    const min = hpa.spec?.minReplicas ?? 1;
    const max = hpa.spec?.maxReplicas ?? 0;
    if (min > max) found.add(at, `minReplicas ${min} is above maxReplicas ${max}`);
    if (autoscalerOf(objects, target) !== hpa) found.add(at, `${describe(target)} has another autoscaler`);
    if (target.spec.replicas !== undefined) {
      found.add(
        at,
        `${describe(target)} sets replicas ${target.spec.replicas}: the autoscaler owns the count, and every kubectl apply would reset it (remove spec.replicas)`,
      );
    }
  }
}
