import { find, lines, problemsAfter, renderOverlay } from './helpers/manifests';

// Each test breaks one thing in a known-good render and expects the validator
// to name it. Together they prove the validator fails on broken manifests.

describe('the validator on the dev overlay as it is', () => {
  it('finds no problem', () => {
    expect(lines(problemsAfter('dev', () => undefined))).toEqual([]);
  });
});

describe('schema', () => {
  it('when a Deployment says replicass, names the unknown field', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.replicass = 2;
    });
    expect(lines(problems)).toEqual(['schema: overlays/dev: Deployment/orders-depl: spec.replicass: unknown field']);
  });

  it('when a container says imag, names the unknown field and its path', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0];
      container.imag = container.image;
    });
    expect(lines(problems)).toEqual([
      'schema: overlays/dev: Deployment/expiration-depl: spec.template.spec.containers[0].imag: unknown field',
    ]);
  });

  it('when a field has the wrong type, names it', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'StatefulSet', 'expiration-redis').spec.replicas = 'one';
    });
    expect(lines(problems)).toEqual([
      'schema: overlays/dev: StatefulSet/expiration-redis: spec.replicas: must be integer',
    ]);
  });

  it('when a required field is missing, names it', () => {
    const problems = problemsAfter('dev', (objects) => {
      delete find(objects, 'StatefulSet', 'nats-streaming').spec.template.spec.containers[0].name;
    });
    expect(lines(problems)).toEqual([
      'schema: overlays/dev: StatefulSet/nats-streaming: spec.template.spec.containers[0]: must have required property name',
    ]);
  });
});

describe('probes, resources and securityContext', () => {
  it('when a readiness probe is missing, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      delete find(objects, 'StatefulSet', 'orders-mongo').spec.template.spec.containers[0].readinessProbe;
    });
    expect(lines(problems)).toEqual([
      'probes: overlays/dev: StatefulSet/orders-mongo: container mongo: readinessProbe is missing',
    ]);
  });

  it("when a service's liveness probe is not /healthz, says so", () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0].livenessProbe.httpGet.path =
        '/readyz';
    });
    expect(lines(problems)).toEqual([
      'probes: overlays/dev: Deployment/orders-depl: container orders: livenessProbe must be httpGet /healthz on the port named http',
    ]);
  });

  it('when a probe names a port the container does not declare, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'StatefulSet', 'orders-mongo').spec.template.spec.containers[0].livenessProbe.tcpSocket.port =
        'mongoo';
    });
    expect(lines(problems)).toEqual([
      'probes: overlays/dev: StatefulSet/orders-mongo: container mongo: livenessProbe probes port mongoo, which the container does not declare',
    ]);
  });

  it('when resources are missing, names each missing request and limit', () => {
    const problems = problemsAfter('dev', (objects) => {
      delete find(objects, 'StatefulSet', 'nats-streaming').spec.template.spec.containers[0].resources;
    });
    expect(lines(problems)).toEqual([
      'resources: overlays/dev: StatefulSet/nats-streaming: container nats: resources.requests.cpu is missing',
      'resources: overlays/dev: StatefulSet/nats-streaming: container nats: resources.limits.cpu is missing',
      'resources: overlays/dev: StatefulSet/nats-streaming: container nats: resources.requests.memory is missing',
      'resources: overlays/dev: StatefulSet/nats-streaming: container nats: resources.limits.memory is missing',
    ]);
  });

  it('when a request is above its limit, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0].resources.requests.memory = '1Gi';
    });
    expect(lines(problems)).toEqual([
      'resources: overlays/dev: Deployment/orders-depl: container orders: resources.requests.memory (1Gi) is above its limit (256Mi)',
    ]);
  });

  it("when a container's securityContext is missing, names what it lacks", () => {
    const problems = problemsAfter('prod', (objects) => {
      delete find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0].securityContext;
    });
    expect(lines(problems)).toEqual([
      'security-context: overlays/prod: Deployment/expiration-depl: container expiration: securityContext.allowPrivilegeEscalation must be false',
      'security-context: overlays/prod: Deployment/expiration-depl: container expiration: securityContext.capabilities.drop must include ALL',
      'security-context: overlays/prod: Deployment/expiration-depl: container expiration: securityContext.readOnlyRootFilesystem must be true, or the pod template must say why not in the annotation ticketing/writable-root-fs',
    ]);
  });

  it("when the pod's securityContext is missing, asks for runAsNonRoot and a uid", () => {
    const problems = problemsAfter('dev', (objects) => {
      delete find(objects, 'StatefulSet', 'expiration-redis').spec.template.spec.securityContext;
    });
    expect(lines(problems)).toEqual([
      'security-context: overlays/dev: StatefulSet/expiration-redis: container redis: runAsNonRoot must be true (pod or container securityContext)',
      'security-context: overlays/dev: StatefulSet/expiration-redis: container redis: runAsUser must be set to a non-zero uid: a user name in the image cannot be checked',
    ]);
  });

  it('when a writable root filesystem has no reason given, refuses it', () => {
    const problems = problemsAfter('dev', (objects) => {
      delete find(objects, 'Deployment', 'orders-depl').spec.template.metadata.annotations[
        'ticketing/writable-root-fs'
      ];
    });
    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^security-context: .*orders-depl: container orders: securityContext.readOnlyRootFilesystem must be true/,
      ),
    ]);
  });
});

describe('Redis and the other stores', () => {
  const redis = (objects: Parameters<Parameters<typeof problemsAfter>[1]>[0]) =>
    find(objects, 'StatefulSet', 'expiration-redis');

  it('when Redis has no append-only file, says that a restart loses the expirations', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = redis(objects).spec.template.spec.containers[0];
      container.args = container.args.filter(
        (a: string, i: number, all: string[]) => a !== '--appendonly' && all[i - 1] !== '--appendonly',
      );
    });
    expect(lines(problems)).toEqual([
      'stores: overlays/dev: StatefulSet/expiration-redis: container redis: redis-server needs --appendonly yes (it has none): a restart would lose every pending expiration',
    ]);
  });

  it('when Redis may evict keys, says that an evicted job never expires', () => {
    const problems = problemsAfter('dev', (objects) => {
      const args: string[] = redis(objects).spec.template.spec.containers[0].args;
      args[args.indexOf('--maxmemory-policy') + 1] = 'allkeys-lru';
    });
    expect(lines(problems)).toEqual([
      'stores: overlays/dev: StatefulSet/expiration-redis: container redis: redis-server needs --maxmemory-policy noeviction (it has allkeys-lru): an evicted Bull job is an order that never expires',
    ]);
  });

  it('when Redis has no PersistentVolumeClaim, says its data folder needs one', () => {
    const problems = problemsAfter('dev', (objects) => {
      delete redis(objects).spec.volumeClaimTemplates;
    });
    expect(lines(problems)).toEqual([
      'stores: overlays/dev: StatefulSet/expiration-redis: container redis: Redis keeps its data in /data, which must be a PersistentVolumeClaim (volumeClaimTemplates)',
    ]);
  });

  it('when Redis runs as a Deployment, as in the course, asks for a StatefulSet', () => {
    const problems = problemsAfter('dev', (objects) => {
      const r = redis(objects);
      r.kind = 'Deployment';
      delete r.spec.serviceName;
      delete r.spec.volumeClaimTemplates;
      delete r.spec.template.spec.containers[0].volumeMounts;
    });
    expect(lines(problems)).toContainEqual(
      'stores: overlays/dev: Deployment/expiration-redis: container redis: Redis keeps data: run it as a StatefulSet with a volumeClaimTemplate, not a Deployment',
    );
  });

  it('when MongoDB mounts its volume somewhere else than its dbpath, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'StatefulSet', 'orders-mongo').spec.template.spec.containers[0].volumeMounts[0].mountPath =
        '/var/lib/mongo';
    });
    expect(lines(problems)).toEqual([
      'stores: overlays/dev: StatefulSet/orders-mongo: container mongo: MongoDB keeps its data in /data/db, which must be a PersistentVolumeClaim (volumeClaimTemplates)',
    ]);
  });

  it('when a third-party image is not pinned, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      redis(objects).spec.template.spec.containers[0].image = 'redis:latest';
    });
    expect(lines(problems)).toEqual([
      'images: overlays/dev: StatefulSet/expiration-redis: container redis: image redis:latest must be pinned to a version',
    ]);
  });
});

describe("our services' images and environment", () => {
  it("when a service's image is not the one skaffold builds, says which it should be", () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0].image = 'stephengrider/orders';
    });
    expect(lines(problems)).toEqual([
      'images: overlays/dev: Deployment/orders-depl: container orders: image stephengrider/orders is not ticketing/orders, the image skaffold builds from orders/Dockerfile for this overlay',
    ]);
  });

  it('when the two services swap images, says so for both', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0].image = 'ticketing/expiration';
      find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0].image = 'ticketing/orders';
    });
    expect(problems.filter((p) => p.rule === 'images')).toHaveLength(2);
  });

  it('when production runs an untagged image, asks for a version', () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0].image =
        'registry.example.com/ticketing/orders';
    });
    expect(lines(problems)).toEqual([
      'images: overlays/prod: Deployment/orders-depl: container orders: image registry.example.com/ticketing/orders must be pinned to a version in production (overlays/prod: images)',
    ]);
  });

  it("when a variable the service requires is missing, quotes the service's own config loader", () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0];
      container.env = container.env.filter((v: { name: string }) => v.name !== 'REDIS_HOST');
    });
    expect(lines(problems)).toEqual([
      'env: overlays/dev: Deployment/expiration-depl: container expiration: env REDIS_HOST: is required (expiration/src/config.ts would refuse to start)',
    ]);
  });

  it('when orders on NATS Streaming has no cluster id, quotes the rule between variables', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      container.env = container.env.filter((v: { name: string }) => v.name !== 'NATS_CLUSTER_ID');
    });
    expect(lines(problems)).toEqual([
      'env: overlays/dev: Deployment/orders-depl: container orders: env NATS_CLUSTER_ID: is required when EVENT_BUS is stan (orders/src/config.ts would refuse to start)',
    ]);
  });

  it('when a variable is malformed, quotes the loader', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      container.env.find((v: { name: string }) => v.name === 'MONGO_URI').value = 'orders-mongo-srv:27017/orders';
    });
    expect(lines(problems)).toEqual([
      'env: overlays/dev: Deployment/orders-depl: container orders: env MONGO_URI: must start with mongodb:// or mongodb+srv:// (orders/src/config.ts would refuse to start)',
    ]);
  });

  it('when JWT_KEY is written in the manifest, asks for the Secret', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      const jwt = container.env.find((v: { name: string }) => v.name === 'JWT_KEY');
      delete jwt.valueFrom;
      jwt.value = 'asdf';
    });
    expect(lines(problems)).toEqual([
      'env: overlays/dev: Deployment/orders-depl: container orders: env JWT_KEY holds a secret: take it from a Secret (valueFrom.secretKeyRef), not from the manifest',
    ]);
  });

  it("when the overlay's Secret holds a malformed value, quotes the loader", () => {
    const problems = problemsAfter('dev', (objects) => {
      // kustomize's secretGenerator puts a hash of the contents after the name.
      const name = objects.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('expiration-dashboard-'));
      const secret = find(objects, 'Secret', name?.metadata.name ?? 'expiration-dashboard');
      secret.data.DASHBOARD_CREDENTIALS = Buffer.from('admin').toString('base64');
    });
    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^env: overlays\/dev: Deployment\/expiration-depl: container expiration: env DASHBOARD_CREDENTIALS: must be user:password.*\(expiration\/src\/config.ts would refuse to start\)$/,
      ),
    ]);
  });

  it('when an optional Secret is not in the overlay, reads its variable as unset', () => {
    const objects = renderOverlay('prod');
    const container = find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0];
    const dashboard = container.env.find((v: { name: string }) => v.name === 'DASHBOARD_CREDENTIALS');

    expect(objects.filter((o) => o.kind === 'Secret')).toEqual([]);
    expect(dashboard.valueFrom.secretKeyRef.optional).toBe(true);
    expect(lines(problemsAfter('prod', () => undefined))).toEqual([]);
  });

  it('when NATS_CLIENT_ID is a constant, says that two pods would collide', () => {
    const problems = problemsAfter('prod', (objects) => {
      const container = find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0];
      const id = container.env.find((v: { name: string }) => v.name === 'NATS_CLIENT_ID');
      delete id.valueFrom;
      id.value = 'expiration';
    });
    expect(lines(problems)).toEqual([
      expect.stringMatching(/^env: .*expiration-depl.*NATS_CLIENT_ID must come from the pod name/),
    ]);
  });

  it('when NATS_URL names a Service that does not exist, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      container.env.find((v: { name: string }) => v.name === 'NATS_URL').value = 'http://nats-svc:4222';
    });
    expect(lines(problems)).toEqual([
      'wiring: overlays/dev: Deployment/orders-depl: container orders: env NATS_URL points at nats-svc, but there is no Service nats-svc',
    ]);
  });

  it('when a service is set to JetStream but the server is NATS Streaming, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'expiration-depl').spec.template.spec.containers[0];
      container.env.find((v: { name: string }) => v.name === 'EVENT_BUS').value = 'jetstream';
    });
    expect(lines(problems)).toEqual([
      'wiring: overlays/dev: Deployment/expiration-depl: container expiration: EVENT_BUS is jetstream, but Service nats-srv does not select a nats server run with -js',
    ]);
  });

  it('when the port the service listens on is not its http port, says the probes would fail', () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      container.env.find((v: { name: string }) => v.name === 'PORT').value = '3001';
    });
    expect(lines(problems)).toEqual([
      'probes: overlays/dev: Deployment/orders-depl: container orders: the service listens on 3001, but the containerPort named http is 3000',
    ]);
  });

  it("when expiration's grace period is shorter than its shutdown, says so", () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Deployment', 'expiration-depl').spec.template.spec.terminationGracePeriodSeconds = 5;
    });
    expect(lines(problems)).toEqual([
      "grace-period: overlays/dev: Deployment/expiration-depl: terminationGracePeriodSeconds is 5; expiration's shutdown needs at least 30 (0 s of preStop + SHUTDOWN_TIMEOUT_SECONDS 25 + a 5 s margin)",
    ]);
  });

  it("when orders' SHUTDOWN_TIMEOUT_SECONDS grows past its grace period with the preStop sleep, says so", () => {
    const problems = problemsAfter('dev', (objects) => {
      const container = find(objects, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      container.env.push({ name: 'SHUTDOWN_TIMEOUT_SECONDS', value: '25' });
    });
    expect(lines(problems)).toEqual([
      "grace-period: overlays/dev: Deployment/orders-depl: terminationGracePeriodSeconds is 30; orders's shutdown needs at least 35 (5 s of preStop + SHUTDOWN_TIMEOUT_SECONDS 25 + a 5 s margin)",
    ]);
  });

  it('when a Deployment of ours is missing, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      objects.splice(objects.indexOf(find(objects, 'Deployment', 'expiration-depl')), 1);
    });
    expect(lines(problems)).toEqual([
      'services: overlays/dev: Deployment expiration-depl with a container expiration is missing',
    ]);
  });
});

describe('wiring and environments', () => {
  it('when a Service selects no pods, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Service', 'orders-srv').spec.selector = { app: 'order' };
    });
    expect(lines(problems)).toEqual([
      'wiring: overlays/dev: Service/orders-srv: selects no pods (selector {"app":"order"})',
    ]);
  });

  it('when the ingress routes to a Service that does not exist, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'Ingress', 'ingress-service').spec.rules[0].http.paths[0].backend.service.name = 'order-srv';
    });
    expect(lines(problems)).toEqual([
      'wiring: overlays/dev: Ingress/ingress-service: /api/orders goes to Service order-srv, which is not in this overlay',
    ]);
  });

  it('when production runs one replica without a PodDisruptionBudget, asks for both', () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'Deployment', 'orders-depl').spec.replicas = 1;
      objects.splice(objects.indexOf(find(objects, 'PodDisruptionBudget', 'orders-pdb')), 1);
    });
    expect(lines(problems)).toEqual([
      'availability: overlays/prod: Deployment/orders-depl: production runs at least two replicas, not 1',
      'availability: overlays/prod: Deployment/orders-depl: production needs a PodDisruptionBudget for it',
    ]);
  });

  it('when a PodDisruptionBudget would block every drain, says so', () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'PodDisruptionBudget', 'expiration-pdb').spec.minAvailable = 2;
    });
    expect(lines(problems)).toEqual([
      'availability: overlays/prod: PodDisruptionBudget/expiration-pdb: minAvailable 2 with 2 replica(s) of Deployment/expiration-depl: no pod could ever be evicted, and node drains would hang',
    ]);
  });

  it('when production keeps the local host, says so', () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'Ingress', 'ingress-service').spec.rules[0].host = 'ticketing.dev';
    });
    expect(lines(problems)).toEqual([
      'wiring: overlays/prod: Ingress/ingress-service: host ticketing.dev is the local one: production sets its own (overlays/prod/ingress-host.yaml)',
    ]);
  });
});
