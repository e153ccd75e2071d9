import path from 'node:path';
import { validateOverlay } from '../validate-repo';
import { lines } from './helpers/manifests';

// Broken overlays on disk, rendered by kubectl kustomize like the real ones.
const fixture = (name: string) => path.join(__dirname, 'fixtures', name);

describe('validateOverlay on broken kustomizations', () => {
  it('when a patch says replicass and imag, fails on both unknown fields', () => {
    const { problems } = validateOverlay(fixture('typos'));

    expect(lines(problems)).toEqual([
      'schema: infra/validate/src/__tests__/fixtures/typos: Deployment/orders-depl: spec.replicass: unknown field',
      'schema: infra/validate/src/__tests__/fixtures/typos: Deployment/orders-depl: spec.template.spec.containers[0].imag: unknown field',
    ]);
  });

  it("when the course's gaps come back, names each of them", () => {
    const { problems } = validateOverlay(fixture('weakened'));

    const found = lines(problems).map((line) => line.replace('infra/validate/src/__tests__/fixtures/weakened: ', ''));
    expect(found).toEqual(
      expect.arrayContaining([
        'probes: Deployment/expiration-depl: container expiration: readinessProbe is missing',
        'probes: Deployment/expiration-depl: container expiration: readinessProbe must be httpGet /readyz on the port named http',
        'resources: StatefulSet/nats-streaming: container nats: resources.requests.cpu is missing',
        'stores: StatefulSet/expiration-redis: container redis: redis-server needs --appendonly yes (it has none): a restart would lose every pending expiration',
        'stores: StatefulSet/expiration-redis: container redis: redis-server needs --maxmemory-policy noeviction (it has allkeys-lru): an evicted Bull job is an order that never expires',
      ]),
    );
  });

  it('when kustomize itself fails, reports it as a render problem', () => {
    const { objects, problems } = validateOverlay(fixture('does-not-exist'));

    expect(objects).toEqual([]);
    expect(problems).toEqual([
      expect.objectContaining({ rule: 'render', message: expect.stringContaining('kubectl kustomize') }),
    ]);
  });
});
