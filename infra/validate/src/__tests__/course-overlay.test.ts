import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { IContainer, IService } from 'kubernetes-models/v1';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { selects } from '../label-selector';
import { isWorkload, type K8sObject, type Workload } from '../manifest';
import { RenderError } from '../render';
import { checkRules } from '../rules';
import { envPlaceholder } from '../service-rules';
import { SERVICES } from '../services';
import { sharedClusterOf } from '../shared-cluster';
import { contextOf, find, lines, problemsAfter, renderOverlay } from './helpers/manifests';

// overlays/course deploys expiration and orders into a cluster that already
// runs the course's other services, its NATS Streaming (nats-srv, no users)
// and its ingress-service: it must keep the course's names and ports, and
// deploy nothing that replaces or locks out what the course's services use.

const objects = renderOverlay('course');

function container(deployment: string, name: string): IContainer {
  const w = find(objects, 'Deployment', deployment) as Workload;
  const c = w.spec.template.spec.containers.find((each) => each.name === name);
  if (!c) throw new Error(`no container ${name} in ${deployment}`);
  return c;
}

function env(c: IContainer, name: string) {
  return c.env?.find((v) => v.name === name);
}

function setEnv(c: IContainer, name: string, value: string): void {
  const variable = env(c, name);
  if (!variable) throw new Error(`no env ${name}`);
  variable.value = value;
}

describe('the course overlay', () => {
  it("keeps the course's Service names and ports", () => {
    const ports = (objects.filter((o) => o.kind === 'Service') as (IService & K8sObject)[]).map((s) => [
      s.metadata.name,
      s.spec?.ports?.map((p) => p.port),
    ]);

    expect(ports).toEqual(
      expect.arrayContaining([
        ['orders-srv', [3000]],
        ['expiration-redis-srv', [6379]],
        ['orders-mongo-srv', [27017]],
      ]),
    );
  });

  it("deploys no Ingress, Gateway or HTTPRoute: the course's ingress-service keeps every route", () => {
    const kinds = objects.map((o) => o.kind);

    expect(kinds).not.toContain('Ingress');
    expect(kinds).not.toContain('Gateway');
    expect(kinds).not.toContain('HTTPRoute');
  });

  it("deploys no NATS server and no nats-srv: the services use the course's", () => {
    const images = objects
      .filter(isWorkload)
      .flatMap((w) => w.spec.template.spec.containers.map((c) => c.image?.split(':')[0]));
    const natsServices = (objects.filter((o) => o.kind === 'Service') as (IService & K8sObject)[]).filter(
      (s) => s.metadata.name === 'nats-srv' || s.spec?.selector?.app === 'nats',
    );

    expect(images).not.toContain('nats');
    expect(images).not.toContain('nats-streaming');
    expect(natsServices).toEqual([]);
  });

  it("has no default-deny-ingress and no policy that selects the course's NATS pods", () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy') as (INetworkPolicy & K8sObject)[];

    expect(policies.map((p) => p.metadata.name)).not.toContain('default-deny-ingress');
    expect(policies.filter((p) => selects(p.spec?.podSelector, { app: 'nats' }))).toEqual([]);
    expect(policies.map((p) => p.metadata.name)).toContain('orders-from-ingress-controller');
  });

  it('keeps the names and selectors of expiration-depl and orders-depl, so they are updated in place', () => {
    const selectors = ['expiration-depl', 'orders-depl'].map(
      (name) => (find(objects, 'Deployment', name) as Workload).spec.selector.matchLabels,
    );

    expect(selectors).toEqual([{ app: 'expiration' }, { app: 'orders' }]);
  });

  it("connects both services to the course's NATS Streaming without credentials", () => {
    for (const c of [container('expiration-depl', 'expiration'), container('orders-depl', 'orders')]) {
      expect([env(c, 'EVENT_BUS')?.value, env(c, 'NATS_URL')?.value, env(c, 'NATS_CLUSTER_ID')?.value]).toEqual([
        'stan',
        'http://nats-srv:4222',
        'ticketing',
      ]);
      expect(env(c, 'NATS_USER')).toBeUndefined();
      expect(env(c, 'NATS_PASSWORD')).toBeUndefined();
    }
  });

  it("reads JWT_KEY from the course's Secret jwt-secret", () => {
    expect(env(container('orders-depl', 'orders'), 'JWT_KEY')?.valueFrom?.secretKeyRef).toEqual({
      name: 'jwt-secret',
      key: 'JWT_KEY',
    });
  });

  it("gives each service an environment its own config loader accepts, on the course's NATS", () => {
    const checked = SERVICES.map((service) => {
      const c = container(service.deployment, service.container);
      const processEnv = Object.fromEntries((c.env ?? []).map((v) => [v.name, envPlaceholder(v, 'pod-0', objects)]));
      const { eventBus, dependencies } = service.check(processEnv);
      return [service.name, eventBus, dependencies.find((d) => d.variable === 'NATS_URL')];
    });

    const nats = { variable: 'NATS_URL', host: 'nats-srv', port: 4222 };
    expect(checked).toEqual([
      ['expiration', 'stan', nats],
      ['orders', 'stan', nats],
    ]);
  });

  it('generates the Redis and MongoDB passwords with dev-only values', () => {
    const secrets = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name.replace(/-[a-z0-9]+$/, ''));

    expect(secrets).toEqual(expect.arrayContaining(['expiration-redis', 'orders-mongo']));
    expect(secrets).not.toContain('jwt-secret');
  });

  it('passes every rule, as a shared cluster', () => {
    expect(lines(problemsAfter('course', () => undefined))).toEqual([]);
  });
});

describe('the shared-cluster annotation', () => {
  it('relaxes exactly the default deny, the NATS credentials and the wiring to nats-srv, and nothing else', () => {
    const withoutAnnotation = { ...contextOf('course'), sharedCluster: undefined };

    const problems = lines(checkRules(renderOverlay('course'), withoutAnnotation)).map((l) => l.split(':')[0]);

    expect(problems.sort()).toEqual(['auth', 'auth', 'network-policy', 'wiring', 'wiring']);
  });

  it('still refuses a policy that selects every pod, which would lock out the cluster’s other services', () => {
    const problems = problemsAfter('course', (rendered) => {
      rendered.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'default-deny-ingress' },
        spec: { podSelector: {}, policyTypes: ['Ingress'] },
      } as K8sObject);
    });

    expect(lines(problems)).toEqual([
      "network-policy: overlays/course: NetworkPolicy/default-deny-ingress: selects every pod of the namespace, the other services' of the shared cluster too (ticketing/shared-cluster): select this overlay's pods only",
    ]);
  });

  it('still refuses a Service that is neither in the overlay nor listed, and a listed one on another port', () => {
    const problems = problemsAfter('course', (rendered) => {
      const expiration = find(rendered, 'Deployment', 'expiration-depl').spec.template.spec.containers[0];
      setEnv(expiration, 'NATS_URL', 'http://nats-srv:4223');
      const orders = find(rendered, 'Deployment', 'orders-depl').spec.template.spec.containers[0];
      setEnv(orders, 'NATS_URL', 'http://other-nats:4222');
    });

    expect(lines(problems)).toEqual(
      expect.arrayContaining([
        "wiring: overlays/course: Deployment/expiration-depl: container expiration: env NATS_URL points at port 4223, but the shared cluster's Service nats-srv is on 4222 (ticketing/shared-cluster)",
        'wiring: overlays/course: Deployment/orders-depl: container orders: env NATS_URL points at other-nats, but there is no Service other-nats',
        'auth: overlays/course: Deployment/orders-depl: container orders: sets neither NATS_USER (with NATS_PASSWORD) nor NATS_CREDS: it would connect to NATS without credentials',
      ]),
    );
  });

  describe('read from kustomization.yaml', () => {
    let dir: string;

    beforeEach(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shared-cluster-'));
    });

    afterEach(() => {
      fs.rmSync(dir, { recursive: true, force: true });
    });

    function kustomization(annotations: string): void {
      fs.writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: x\n${annotations}`,
      );
    }

    it('lists the Services of the annotation', () => {
      kustomization('  annotations:\n    ticketing/shared-cluster: "nats-srv:4222, auth-srv:3000"\n');

      expect(sharedClusterOf(dir)).toEqual({
        services: [
          { name: 'nats-srv', port: 4222 },
          { name: 'auth-srv', port: 3000 },
        ],
      });
    });

    it('is undefined for an overlay without the annotation', () => {
      kustomization('');

      expect(sharedClusterOf(dir)).toBeUndefined();
    });

    it('refuses an annotation that is not a list of name:port', () => {
      kustomization('  annotations:\n    ticketing/shared-cluster: "true"\n');

      expect(() => sharedClusterOf(dir)).toThrow(RenderError);
      expect(() => sharedClusterOf(dir)).toThrow(/must list the cluster's Services as name:port/);
    });
  });
});
