import type { K8sObject } from '../manifest';
import { endpointProblem, resolveHost } from '../endpoints';
import { find, lines, problemsAfter, renderOverlay } from './helpers/manifests';

// prod-ha as it is, then broken one way at a time. Each assertion reads the
// lines of the rule under test only: the rules of the services' own env are
// another file's (service-rules.ts, and the services' config loaders).

/** @returns the problems' lines of the given rules only */
function ofRules(problems: ReturnType<typeof problemsAfter>, ...rules: string[]): string[] {
  return lines(problems).filter((line) => rules.some((rule) => line.startsWith(`${rule}: `)));
}

/** @returns the container of a workload, typed loosely so that a test can break it */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function container(objects: K8sObject[], kind: string, name: string, containerName: string): any {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return find(objects, kind, name).spec.template.spec.containers.find((c: any) => c.name === containerName);
}

/** @returns the generated ConfigMap whose name starts with `name-` */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function generatedConfigMap(objects: K8sObject[], name: string): any {
  const found = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith(`${name}-`));
  if (!found) throw new Error(`no ConfigMap ${name}-…`);
  return found;
}

function setEnv(c: { env: { name: string; value?: string }[] }, name: string, value: string): void {
  const variable = c.env.find((v) => v.name === name);
  if (variable) variable.value = value;
  else c.env.push({ name, value });
}

function remove(objects: K8sObject[], kind: string, name: string): void {
  objects.splice(objects.indexOf(find(objects, kind, name)), 1);
}

const AROUND = ['replication', 'availability', 'network-policy', 'wiring', 'stores', 'auth', 'schema'];

describe('the prod-ha overlay as it is', () => {
  it('passes the replication, availability, network-policy, wiring, stores and auth rules', () => {
    expect(
      ofRules(
        problemsAfter('prod-ha', () => undefined),
        ...AROUND,
      ),
    ).toEqual([]);
  });

  it('runs three NATS servers and three Redis pods, each with a Sentinel, and orders under an autoscaler', () => {
    const objects = renderOverlay('prod-ha');
    expect(find(objects, 'StatefulSet', 'nats').spec.replicas).toBe(3);
    expect(find(objects, 'StatefulSet', 'expiration-redis').spec.replicas).toBe(3);
    expect(container(objects, 'StatefulSet', 'expiration-redis', 'sentinel').args).toContain('--sentinel');
    expect(find(objects, 'Deployment', 'orders-depl').spec.replicas).toBeUndefined();
    expect(find(objects, 'HorizontalPodAutoscaler', 'orders').spec.minReplicas).toBe(2);
    const expiration = container(objects, 'Deployment', 'expiration-depl', 'expiration');
    const names = expiration.env.map((v: { name: string }) => v.name);
    expect(names).toEqual(expect.arrayContaining(['REDIS_SENTINELS', 'REDIS_WAIT_REPLICAS', 'NATS_STREAM_REPLICAS']));
    expect(names).not.toContain('REDIS_HOST');
    expect(names).not.toContain('REDIS_PORT');
  });
});

describe('replication: a replicated stream', () => {
  it('with NATS_STREAM_REPLICAS 3 and one NATS server, asks for a cluster of three', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      find(objects, 'StatefulSet', 'nats').spec.replicas = 1;
    });
    expect(ofRules(problems, 'replication')).toEqual([
      'replication: overlays/prod-ha: Deployment/expiration-depl: container expiration: NATS_STREAM_REPLICAS 3 asks for a replicated stream, which needs a JetStream cluster of at least 3 servers; the overlay runs 1 (StatefulSet/nats: 1)',
      'replication: overlays/prod-ha: Deployment/orders-depl: container orders: NATS_STREAM_REPLICAS 3 asks for a replicated stream, which needs a JetStream cluster of at least 3 servers; the overlay runs 1 (StatefulSet/nats: 1)',
    ]);
  });

  it('with more replicas than NATS servers, says the stream could never be created', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      setEnv(container(objects, 'Deployment', 'orders-depl', 'orders'), 'NATS_STREAM_REPLICAS', '5');
    });
    expect(ofRules(problems, 'replication')).toEqual([
      'replication: overlays/prod-ha: Deployment/orders-depl: container orders: NATS_STREAM_REPLICAS 5 is more than the 3 JetStream servers (StatefulSet/nats: 3): the stream could never be created',
    ]);
  });

  it('with NATS_STREAM_REPLICAS 1 on a single server (prod-jetstream), finds nothing', () => {
    const problems = problemsAfter('prod-jetstream', (objects) => {
      setEnv(container(objects, 'Deployment', 'orders-depl', 'orders'), 'NATS_STREAM_REPLICAS', '1');
    });
    expect(ofRules(problems, 'replication')).toEqual([]);
  });
});

describe('replication: the JetStream cluster', () => {
  it('with a fourth server that the routes do not name, says it would never join', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      find(objects, 'StatefulSet', 'nats').spec.replicas = 4;
    });
    expect(ofRules(problems, 'replication')).toEqual([
      "replication: overlays/prod-ha: StatefulSet/nats: the cluster routes don't name nats-3.nats-cluster: that server would never join the cluster",
    ]);
  });

  it('with three servers and no routes, says they would be separate servers', () => {
    const problems = problemsAfter('prod-jetstream', (objects) => {
      find(objects, 'StatefulSet', 'nats').spec.replicas = 3;
    });
    expect(ofRules(problems, 'replication')).toEqual([
      'replication: overlays/prod-jetstream: StatefulSet/nats: runs 3 JetStream servers without cluster routes (cluster { routes } in its config, or --routes): they would be 3 separate servers, each with its own streams',
    ]);
  });

  it('without a server name of its own, asks for one', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      const configMap = generatedConfigMap(objects, 'nats-config');
      configMap.data['nats-cluster.conf'] = configMap.data['nats-cluster.conf'].replace(/^server_name:.*$/m, '');
    });
    expect(ofRules(problems, 'replication')).toEqual([
      'replication: overlays/prod-ha: StatefulSet/nats: each server of a JetStream cluster needs a stable name of its own (server_name in the config, or -n): the pod name',
    ]);
  });

  it('when the governing Service is not headless, says the routes have no names to use', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      find(objects, 'Service', 'nats-cluster').spec.clusterIP = '10.0.0.10';
    });
    expect(ofRules(problems, 'replication')).toEqual([
      'replication: overlays/prod-ha: StatefulSet/nats: serviceName nats-cluster must be a headless Service (clusterIP: None): only then does each pod have the DNS name its routes use',
    ]);
  });
});

describe('replication: REDIS_PODS', () => {
  it('with 4 in a StatefulSet of 3, says the start script would ask the wrong pods, for each container', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      for (const name of ['redis', 'sentinel']) {
        setEnv(container(objects, 'StatefulSet', 'expiration-redis', name), 'REDIS_PODS', '4');
      }
    });
    expect(ofRules(problems, 'replication')).toEqual(
      ['redis', 'sentinel'].map(
        (name) =>
          `replication: overlays/prod-ha: StatefulSet/expiration-redis: container ${name}: REDIS_PODS 4 is not the 3 replica(s) of its own workload: the start script would ask the wrong pods for the master`,
      ),
    );
  });

  it('with the StatefulSet scaled to 5 and REDIS_PODS following, finds nothing', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      find(objects, 'StatefulSet', 'expiration-redis').spec.replicas = 5;
      for (const name of ['redis', 'sentinel']) {
        setEnv(container(objects, 'StatefulSet', 'expiration-redis', name), 'REDIS_PODS', '5');
      }
    });
    expect(ofRules(problems, 'replication')).toEqual([]);
  });
});

describe('replication: REDIS_WAIT_REPLICAS', () => {
  it('with 2 and two Redis replicas, finds nothing', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      setEnv(container(objects, 'Deployment', 'expiration-depl', 'expiration'), 'REDIS_WAIT_REPLICAS', '2');
    });
    expect(ofRules(problems, 'replication')).toEqual([]);
  });

  it('with 3 and two Redis replicas, says every write would time out', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      setEnv(container(objects, 'Deployment', 'expiration-depl', 'expiration'), 'REDIS_WAIT_REPLICAS', '3');
    });
    expect(ofRules(problems, 'replication')).toEqual([
      "replication: overlays/prod-ha: Deployment/expiration-depl: container expiration: REDIS_WAIT_REPLICAS 3 is more than the 2 Redis replica(s) (StatefulSet/expiration-redis: 3 pod(s), one of them the master): every write would wait for copies that can't be made, and time out",
    ]);
  });

  it('with 1 on a single Redis (prod), says so', () => {
    const problems = problemsAfter('prod', (objects) => {
      setEnv(container(objects, 'Deployment', 'expiration-depl', 'expiration'), 'REDIS_WAIT_REPLICAS', '1');
    });
    expect(ofRules(problems, 'replication')).toEqual([
      "replication: overlays/prod: Deployment/expiration-depl: container expiration: REDIS_WAIT_REPLICAS 1 is more than the 0 Redis replica(s) (StatefulSet/expiration-redis: 1 pod(s), one of them the master): every write would wait for copies that can't be made, and time out",
    ]);
  });
});

describe('availability: PodDisruptionBudgets and the autoscaler', () => {
  it('when the NATS cluster has no PodDisruptionBudget, asks for one', () => {
    const problems = problemsAfter('prod-ha', (objects) => remove(objects, 'PodDisruptionBudget', 'nats-pdb'));
    expect(ofRules(problems, 'availability')).toEqual([
      'availability: overlays/prod-ha: StatefulSet/nats: runs 3 pods, and no PodDisruptionBudget selects them: a node drain or a cluster upgrade may evict them all at once',
    ]);
  });

  it("counts the autoscaler's minReplicas: orders without its budget", () => {
    const problems = problemsAfter('prod-ha', (objects) => remove(objects, 'PodDisruptionBudget', 'orders-pdb'));
    expect(ofRules(problems, 'availability')).toEqual([
      'availability: overlays/prod-ha: Deployment/orders-depl: runs 2 pods, and no PodDisruptionBudget selects them: a node drain or a cluster upgrade may evict them all at once',
    ]);
  });

  it('when a budget allows no eviction at all (maxUnavailable 0), says drains would hang', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      find(objects, 'PodDisruptionBudget', 'nats-pdb').spec.maxUnavailable = 0;
    });
    expect(ofRules(problems, 'availability')).toEqual([
      'availability: overlays/prod-ha: PodDisruptionBudget/nats-pdb: maxUnavailable 0: no pod could ever be evicted, and node drains would hang',
    ]);
  });

  it('on one replica outside production (dev), asks for none', () => {
    expect(
      ofRules(
        problemsAfter('dev', () => undefined),
        'availability',
      ),
    ).toEqual([]);
  });

  it('when the autoscaled Deployment sets replicas, says apply would reset the count', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.replicas = 2;
    });
    expect(ofRules(problems, 'availability')).toEqual([
      'availability: overlays/prod-ha: HorizontalPodAutoscaler/orders: Deployment/orders-depl sets replicas 2: the autoscaler owns the count, and every kubectl apply would reset it (remove spec.replicas)',
    ]);
  });

  it('when the autoscaler scales nothing of the overlay, or its minimum is above its maximum, says so', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      const hpa = find(objects, 'HorizontalPodAutoscaler', 'orders');
      hpa.spec.minReplicas = 7;
      const copy = structuredClone(hpa);
      copy.metadata.name = 'order';
      copy.spec.scaleTargetRef.name = 'order-depl';
      objects.push(copy);
    });
    expect(ofRules(problems, 'availability')).toEqual([
      'availability: overlays/prod-ha: HorizontalPodAutoscaler/orders: minReplicas 7 is above maxReplicas 6',
      'availability: overlays/prod-ha: HorizontalPodAutoscaler/order: scales Deployment/order-depl, which is not a workload of this overlay',
    ]);
  });
});

describe('network-policy: the traffic of the clusters', () => {
  it('without the NATS routes policy, names the route port', () => {
    const problems = problemsAfter('prod-ha', (objects) => remove(objects, 'NetworkPolicy', 'nats-routes'));
    expect(ofRules(problems, 'network-policy')).toEqual([
      'network-policy: overlays/prod-ha: StatefulSet/nats: no NetworkPolicy lets StatefulSet/nats in on port 6222 (the JetStream cluster routes)',
    ]);
  });

  it('without the Redis peers policy, names replication and the Sentinels', () => {
    const problems = problemsAfter('prod-ha', (objects) => remove(objects, 'NetworkPolicy', 'expiration-redis-peers'));
    expect(ofRules(problems, 'network-policy')).toEqual([
      'network-policy: overlays/prod-ha: StatefulSet/expiration-redis: no NetworkPolicy lets StatefulSet/expiration-redis in on port 6379 (Redis replication)',
      'network-policy: overlays/prod-ha: StatefulSet/expiration-redis: no NetworkPolicy lets StatefulSet/expiration-redis in on port 26379 (Sentinels talking to each other)',
    ]);
  });

  it("when no policy lets a service reach its store, names the service's variable (prod)", () => {
    const problems = problemsAfter('prod', (objects) =>
      remove(objects, 'NetworkPolicy', 'expiration-redis-from-expiration'),
    );
    expect(ofRules(problems, 'network-policy')).toContain(
      'network-policy: overlays/prod: StatefulSet/expiration-redis: no NetworkPolicy lets Deployment/expiration-depl in on port redis (REDIS_HOST of expiration)',
    );
  });
});

describe('stores and auth around the Sentinels', () => {
  it('when the Sentinel loses --sentinel, checks it as a Redis store again', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      const sentinel = container(objects, 'StatefulSet', 'expiration-redis', 'sentinel');
      sentinel.args = sentinel.args.filter((a: string) => a !== '--sentinel');
    });
    expect(ofRules(problems, 'stores')).toContain(
      'stores: overlays/prod-ha: StatefulSet/expiration-redis: container sentinel: Redis reads a config file, which this check cannot see: give the settings as arguments',
    );
  });

  it('when nats-cluster.conf no longer includes the users, says it has none', () => {
    const problems = problemsAfter('prod-ha', (objects) => {
      const configMap = generatedConfigMap(objects, 'nats-config');
      configMap.data['nats-cluster.conf'] = configMap.data['nats-cluster.conf'].replace(
        'include ./nats-auth.conf',
        'include ./nats-users.conf',
      );
    });
    expect(ofRules(problems, 'auth')).toContainEqual(
      expect.stringMatching(
        /^auth: overlays\/prod-ha: StatefulSet\/nats: container nats: \/etc\/nats\/nats-cluster.conf includes nats-users.conf, which is not a key of ConfigMap nats-config-\w+$/,
      ),
    );
  });
});

describe('wiring: a pod of a StatefulSet by its DNS name', () => {
  const objects = renderOverlay('prod-ha');

  it('lands on that pod, on a port it declares', () => {
    const endpoint = resolveHost(objects, 'nats-2.nats-cluster');
    expect(endpoint).toMatchObject({ kind: 'pod', ordinal: 2 });
    expect(endpoint && endpointProblem(endpoint, 4222)).toBeUndefined();
    const sentinel = resolveHost(objects, 'expiration-redis-0.expiration-redis-srv.default.svc.cluster.local');
    expect(sentinel && endpointProblem(sentinel, 26379)).toBeUndefined();
  });

  it('names a pod past the last, and a port the pods do not declare', () => {
    const past = resolveHost(objects, 'nats-3.nats-cluster');
    expect(past && endpointProblem(past, 4222)).toBe('pod 3 of StatefulSet/nats, which runs 3');
    const port = resolveHost(objects, 'nats-0.nats-cluster');
    expect(port && endpointProblem(port, 4223)).toBe('port 4223, which the pods of StatefulSet/nats do not declare');
  });

  it('is still a Service when no StatefulSet has that name', () => {
    expect(resolveHost(objects, 'nats-srv')).toMatchObject({ kind: 'service' });
    expect(resolveHost(objects, 'nats-9.nats-srv')).toBeUndefined();
  });
});
