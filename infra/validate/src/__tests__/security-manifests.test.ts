import { find, lines, problemsAfter } from './helpers/manifests';

// Each test takes away one of the protections the manifests have, and expects
// the validator to name the object that lost it. Together they prove the
// authentication, secret, NetworkPolicy, durability, image and Gateway API
// rules fail on broken manifests.

type Objects = Parameters<Parameters<typeof problemsAfter>[1]>[0];
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Container = any;

const container = (objects: Objects, kind: string, name: string): Container =>
  find(objects, kind, name).spec.template.spec.containers[0];
const env = (c: Container, name: string) => c.env.find((v: { name: string }) => v.name === name);
const withoutArg = (args: string[], option: string) => args.filter((a, i) => a !== option && args[i - 1] !== option);

describe('the new rules on every overlay as it is', () => {
  it.each(['dev', 'dev-jetstream', 'dev-gateway', 'prod', 'prod-jetstream', 'prod-gateway'])(
    '%s: find no problem',
    (overlay) => {
      expect(lines(problemsAfter(overlay, () => undefined))).toEqual([]);
    },
  );
});

describe('auth: Redis', () => {
  it('when Redis has no requirepass, says that any pod could read the expirations', () => {
    const problems = problemsAfter('dev', (objects) => {
      const redis = container(objects, 'StatefulSet', 'expiration-redis');
      redis.args = withoutArg(redis.args, '--requirepass');
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: StatefulSet/expiration-redis: container redis: redis-server has no --requirepass: any pod that reaches it can read and delete every pending expiration',
    ]);
  });

  it('when the requirepass is written in the manifest, asks for $(VAR) from a Secret', () => {
    const problems = problemsAfter('dev', (objects) => {
      const args: string[] = container(objects, 'StatefulSet', 'expiration-redis').args;
      args[args.indexOf('--requirepass') + 1] = 'hunter2';
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: StatefulSet/expiration-redis: container redis: redis-server --requirepass must be $(VAR), VAR taken from a Secret, not a value in the manifest',
    ]);
  });

  it("when a probe puts the password on redis-cli's command line, asks for REDISCLI_AUTH", () => {
    const problems = problemsAfter('dev', (objects) => {
      container(objects, 'StatefulSet', 'expiration-redis').readinessProbe.exec.command = [
        'sh',
        '-c',
        'redis-cli -a "$REDISCLI_AUTH" ping',
      ];
    });

    expect(lines(problems)).toEqual([
      "auth: overlays/dev: StatefulSet/expiration-redis: container redis: readinessProbe passes the password on redis-cli's command line: let redis-cli read it from REDISCLI_AUTH (env, from a Secret)",
    ]);
  });

  it("when expiration's REDIS_PASSWORD is not the Secret of Redis's requirepass, says which it must be", () => {
    const problems = problemsAfter('prod', (objects) => {
      env(container(objects, 'Deployment', 'expiration-depl'), 'REDIS_PASSWORD').valueFrom.secretKeyRef.key = 'pass';
    });

    expect(lines(problems)).toEqual([
      "auth: overlays/prod: Deployment/expiration-depl: container expiration: REDIS_PASSWORD must come from Secret expiration-redis key password, Redis's requirepass",
    ]);
  });
});

describe('auth: MongoDB', () => {
  it('when mongod runs without --auth, says that any pod could change the orders', () => {
    const problems = problemsAfter('dev', (objects) => {
      const mongo = container(objects, 'StatefulSet', 'orders-mongo');
      mongo.args = mongo.args.filter((a: string) => a !== '--auth');
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: StatefulSet/orders-mongo: container mongo: mongod runs without --auth: any pod that reaches it can read and change every order',
    ]);
  });

  it('when the root password is written in the manifest, asks for the Secret', () => {
    const problems = problemsAfter('dev', (objects) => {
      const password = env(container(objects, 'StatefulSet', 'orders-mongo'), 'MONGO_INITDB_ROOT_PASSWORD');
      delete password.valueFrom;
      password.value = 'example';
    });

    expect(lines(problems)).toEqual([
      "auth: overlays/dev: StatefulSet/orders-mongo: container mongo: env MONGO_INITDB_ROOT_PASSWORD must come from a Secret: the image's entrypoint creates the root user from it",
      'secrets: overlays/dev: StatefulSet/orders-mongo: container mongo: env MONGO_INITDB_ROOT_PASSWORD holds a secret: take it from a Secret (valueFrom.secretKeyRef), not from the manifest',
    ]);
  });

  it("when orders' MONGO_URI has no credentials, says MongoDB requires them", () => {
    const problems = problemsAfter('dev', (objects) => {
      env(container(objects, 'Deployment', 'orders-depl'), 'MONGO_URI').value =
        'mongodb://orders-mongo-srv:27017/orders';
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: Deployment/orders-depl: container orders: MONGO_URI has no user and password: MongoDB runs with --auth',
    ]);
  });

  it("when MONGO_URI's password is written in the manifest, asks for $(VAR) from a Secret", () => {
    const problems = problemsAfter('dev', (objects) => {
      env(container(objects, 'Deployment', 'orders-depl'), 'MONGO_URI').value =
        'mongodb://orders:example@orders-mongo-srv:27017/orders';
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: Deployment/orders-depl: container orders: the password in MONGO_URI must be $(VAR), VAR taken from a Secret (or MONGO_URI from a Secret)',
    ]);
  });
});

describe('auth: NATS', () => {
  it('when NATS Streaming runs without its config file, says anyone could publish anything', () => {
    const problems = problemsAfter('dev', (objects) => {
      const nats = container(objects, 'StatefulSet', 'nats-streaming');
      nats.args = withoutArg(nats.args, '-c');
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: StatefulSet/nats-streaming: container nats: the NATS server has no config file (-c) with users: anyone who reaches it may publish and subscribe to anything',
    ]);
  });

  it("when the JetStream server's configuration holds a password in clear, names the ConfigMap", () => {
    const problems = problemsAfter('dev-jetstream', (objects) => {
      const configMap = objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config-'));
      const data = (configMap as unknown as { data: Record<string, string> }).data;
      data['nats-auth.conf'] = data['nats-auth.conf'].replace('password: $NATS_ORDERS_PASSWORD', 'password: hunter2');
    });

    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^auth: overlays\/dev-jetstream: StatefulSet\/nats: container nats: \/etc\/nats\/nats-auth.conf \(ConfigMap nats-config-\w+\) holds a password in clear \(hu…\): write \$VAR and set VAR from a Secret$/,
      ),
    ]);
  });

  it("when a user's password variable is not set from a Secret in the server, says so", () => {
    const problems = problemsAfter('dev-jetstream', (objects) => {
      const nats = container(objects, 'StatefulSet', 'nats');
      nats.env = nats.env.filter((v: { name: string }) => v.name !== 'NATS_EXPIRATION_PASSWORD');
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev-jetstream: StatefulSet/nats: container nats: the password of NATS user expiration is $NATS_EXPIRATION_PASSWORD, which the container does not set from a Secret',
    ]);
  });

  it('when a service connects to NATS without credentials, says so', () => {
    const problems = problemsAfter('dev', (objects) => {
      const orders = container(objects, 'Deployment', 'orders-depl');
      orders.env = orders.env.filter((v: { name: string }) => !['NATS_USER', 'NATS_PASSWORD'].includes(v.name));
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/dev: Deployment/orders-depl: container orders: sets neither NATS_USER (with NATS_PASSWORD) nor NATS_CREDS: it would connect to NATS without credentials',
    ]);
  });

  it('when a service connects as a user the server does not have, names the server', () => {
    const problems = problemsAfter('prod-jetstream', (objects) => {
      env(container(objects, 'Deployment', 'orders-depl'), 'NATS_USER').value = 'payments';
    });

    expect(lines(problems)).toEqual([
      'auth: overlays/prod-jetstream: Deployment/orders-depl: container orders: NATS_USER payments is not a user of the NATS server (StatefulSet/nats: container nats)',
    ]);
  });

  it("when a service takes another user's password, says which Secret key the server uses", () => {
    const problems = problemsAfter('dev', (objects) => {
      env(container(objects, 'Deployment', 'expiration-depl'), 'NATS_PASSWORD').valueFrom.secretKeyRef.key = 'orders';
    });

    expect(lines(problems)).toEqual([
      "auth: overlays/dev: Deployment/expiration-depl: container expiration: NATS_PASSWORD must come from Secret nats-users key expiration, where the NATS server takes user expiration's password",
    ]);
  });
});

describe('env: $(VAR) references', () => {
  it('when MONGO_URI refers to a variable set after it, says the kubelet would leave it as text', () => {
    const problems = problemsAfter('dev', (objects) => {
      const orders = container(objects, 'Deployment', 'orders-depl');
      const uri = env(orders, 'MONGO_URI');
      orders.env = [uri, ...orders.env.filter((v: unknown) => v !== uri)];
    });

    expect(lines(problems)).toEqual([
      'env: overlays/dev: Deployment/orders-depl: container orders: env MONGO_URI refers to $(MONGO_USERNAME), which is not set before it: the kubelet would leave the text as it is',
      'env: overlays/dev: Deployment/orders-depl: container orders: env MONGO_URI refers to $(MONGO_PASSWORD), which is not set before it: the kubelet would leave the text as it is',
    ]);
  });

  it("when Redis's command line refers to a variable its env does not set, says so", () => {
    const problems = problemsAfter('dev', (objects) => {
      const args: string[] = container(objects, 'StatefulSet', 'expiration-redis').args;
      args[args.indexOf('--requirepass') + 1] = '$(REDIS_PASS)';
    });

    expect(lines(problems)).toContainEqual(
      "env: overlays/dev: StatefulSet/expiration-redis: container redis: the command line refers to $(REDIS_PASS), which the container's env does not set",
    );
  });
});

describe('network-policy', () => {
  const withoutPolicy = (objects: Objects, name: string) =>
    objects.splice(objects.indexOf(find(objects, 'NetworkPolicy', name)), 1);

  it('when nothing denies ingress by default, says that unselected pods accept anything', () => {
    const problems = problemsAfter('dev', (objects) => withoutPolicy(objects, 'default-deny-ingress'));

    expect(lines(problems)).toEqual([
      'network-policy: overlays/dev: no NetworkPolicy denies ingress by default (podSelector: {}, policyTypes: [Ingress], no ingress rule): a pod that no policy selects accepts connections from anywhere',
    ]);
  });

  it("when a workload's pods have no policy of their own, names the workload", () => {
    const problems = problemsAfter('dev', (objects) => withoutPolicy(objects, 'orders-mongo-from-orders'));

    expect(lines(problems)).toEqual([
      'network-policy: overlays/dev: StatefulSet/orders-mongo: no NetworkPolicy of its own selects its pods (labels {"app":"orders-mongo","app.kubernetes.io/part-of":"ticketing"}): say who may reach them in one (an empty ingress list if nobody)',
      'network-policy: overlays/dev: StatefulSet/orders-mongo: no NetworkPolicy lets Deployment/orders-depl in on port mongo (MONGO_URI of orders)',
    ]);
  });

  it('when a policy selects no pods, names it', () => {
    const problems = problemsAfter('prod', (objects) => {
      find(objects, 'NetworkPolicy', 'expiration-redis-from-expiration').spec.podSelector.matchLabels.app = 'redis';
    });

    expect(lines(problems)).toEqual([
      'network-policy: overlays/prod: StatefulSet/expiration-redis: no NetworkPolicy of its own selects its pods (labels {"app":"expiration-redis","app.kubernetes.io/part-of":"ticketing"}): say who may reach them in one (an empty ingress list if nobody)',
      'network-policy: overlays/prod: NetworkPolicy/expiration-redis-from-expiration: selects no pods (podSelector {"matchLabels":{"app":"redis"}})',
      'network-policy: overlays/prod: StatefulSet/expiration-redis: no NetworkPolicy lets Deployment/expiration-depl in on port redis (REDIS_HOST of expiration)',
    ]);
  });

  it('when a policy allows a port its pods do not have, names the policy and the workload', () => {
    const problems = problemsAfter('dev', (objects) => {
      find(objects, 'NetworkPolicy', 'orders-mongo-from-orders').spec.ingress[0].ports[0].port = 'mongodb';
    });

    expect(lines(problems)).toEqual([
      'network-policy: overlays/dev: NetworkPolicy/orders-mongo-from-orders: allows port mongodb, which StatefulSet/orders-mongo (selected) does not have: the rule lets nothing in there',
      'network-policy: overlays/dev: StatefulSet/orders-mongo: no NetworkPolicy lets Deployment/orders-depl in on port mongo (MONGO_URI of orders)',
    ]);
  });
});

describe('stores: NATS durability', () => {
  it('when NATS Streaming keeps its store in memory, asks for -store file on its volume', () => {
    const problems = problemsAfter('dev', (objects) => {
      const nats = container(objects, 'StatefulSet', 'nats-streaming');
      nats.args = withoutArg(withoutArg(nats.args, '-store'), '-dir');
    });

    expect(lines(problems)).toEqual([
      'stores: overlays/dev: StatefulSet/nats-streaming: container nats: NATS Streaming needs -store file -dir <volume>: its default store is memory, and a restart loses every channel and durable subscription',
      'stores: overlays/dev: StatefulSet/nats-streaming: container nats: NATS Streaming has no data folder on its command line',
    ]);
  });

  it('when NATS Streaming has no volume for its file store, says so', () => {
    const problems = problemsAfter('prod', (objects) => {
      delete find(objects, 'StatefulSet', 'nats-streaming').spec.volumeClaimTemplates;
    });

    expect(lines(problems)).toEqual([
      'stores: overlays/prod: StatefulSet/nats-streaming: container nats: NATS Streaming keeps its data in /data, which must be a PersistentVolumeClaim (volumeClaimTemplates)',
    ]);
  });

  it('when the JetStream server has no volume, says so', () => {
    const problems = problemsAfter('dev-jetstream', (objects) => {
      delete find(objects, 'StatefulSet', 'nats').spec.volumeClaimTemplates;
    });

    expect(lines(problems)).toEqual([
      'stores: overlays/dev-jetstream: StatefulSet/nats: container nats: NATS JetStream keeps its data in /data, which must be a PersistentVolumeClaim (volumeClaimTemplates)',
    ]);
  });
});

describe('image-versions', () => {
  it.each([
    [
      'StatefulSet',
      'expiration-redis',
      'redis:7.2.5-alpine',
      /predates the fix of CVE-2025-49844, .*: use 7\.2\.11 or later/,
    ],
    ['StatefulSet', 'orders-mongo', 'mongo:7.0.14', /predates the fix of CVE-2025-14847 .*: use 7\.0\.28 or later/],
  ])('when %s/%s runs %s, names the CVE and the fixed release', (kind, name, image, message) => {
    const problems = problemsAfter('dev', (objects) => {
      container(objects, kind, name).image = image;
    });

    expect(lines(problems)).toContainEqual(
      expect.stringMatching(new RegExp(`^image-versions: overlays/dev: ${kind}/${name}: .*${message.source}`)),
    );
  });

  it('when the JetStream server runs the 2.10 line, says that it got no fix and to move', () => {
    const problems = problemsAfter('dev-jetstream', (objects) => {
      container(objects, 'StatefulSet', 'nats').image = 'nats:2.10.29-alpine';
    });

    expect(lines(problems)).toEqual([
      expect.stringMatching(
        /^image-versions: overlays\/dev-jetstream: StatefulSet\/nats: container nats: nats:2\.10\.29-alpine is on the 2\.10\.x line, which got no fix for CVE-2026-33246, CVE-2026-33248 .*move to a maintained line/,
      ),
    ]);
  });
});

describe('Gateway API', () => {
  it('when an HTTPRoute has a field its schema does not define, names it', () => {
    const problems = problemsAfter('dev-gateway', (objects) => {
      const rule = find(objects, 'HTTPRoute', 'orders').spec.rules[0];
      rule.backendRef = rule.backendRefs;
    });

    expect(lines(problems)).toEqual([
      'schema: overlays/dev-gateway: HTTPRoute/orders: spec.rules[0].backendRef: unknown field',
    ]);
  });

  it('when a Gateway has no class, says what the schema requires', () => {
    const problems = problemsAfter('dev-gateway', (objects) => {
      delete find(objects, 'Gateway', 'ticketing').spec.gatewayClassName;
    });

    expect(lines(problems)).toEqual([
      "schema: overlays/dev-gateway: Gateway/ticketing: spec: must have required property 'gatewayClassName'",
    ]);
  });

  it('when the route sends to a Service port that does not exist, names the route', () => {
    const problems = problemsAfter('dev-gateway', (objects) => {
      find(objects, 'HTTPRoute', 'orders').spec.rules[0].backendRefs[0].port = 3001;
    });

    expect(lines(problems)).toEqual([
      'wiring: overlays/dev-gateway: HTTPRoute/orders: sends to port 3001, which Service orders-srv does not expose',
    ]);
  });

  it('when the route attaches to a Gateway that is not there, names the route', () => {
    const problems = problemsAfter('dev-gateway', (objects) => {
      find(objects, 'HTTPRoute', 'orders').spec.parentRefs[0].name = 'ticketing-gw';
    });

    expect(lines(problems)).toEqual([
      'wiring: overlays/dev-gateway: HTTPRoute/orders: attaches to Gateway ticketing-gw, which is not in this overlay',
    ]);
  });

  it('when production keeps the local host, names the Gateway and the route', () => {
    const problems = problemsAfter('prod-gateway', (objects) => {
      find(objects, 'Gateway', 'ticketing').spec.listeners[0].hostname = 'ticketing.dev';
      find(objects, 'HTTPRoute', 'orders').spec.hostnames = ['ticketing.dev'];
    });

    expect(lines(problems)).toEqual([
      'wiring: overlays/prod-gateway: Gateway/ticketing: host ticketing.dev is the local one: production sets its own (overlays/prod-gateway)',
      'wiring: overlays/prod-gateway: HTTPRoute/orders: host ticketing.dev is the local one: production sets its own (overlays/prod-gateway)',
    ]);
  });
});
