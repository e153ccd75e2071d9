import path from 'node:path';
import { checkSkaffold } from '../skaffold';
import { REPO_ROOT } from '../paths';
import { fakeRepo, readRepoFile, removeFakeRepo } from './helpers/fake-repo';

const skaffoldYaml = readRepoFile('skaffold.yaml');

/** checkSkaffold on a copy of the repository whose skaffold.yaml is edited. */
function checkEdited(edit: (yaml: string) => string) {
  const root = fakeRepo({ 'skaffold.yaml': edit(skaffoldYaml) });
  try {
    return checkSkaffold({ root }).problems.map((p) => `${p.where}: ${p.message}`);
  } finally {
    removeFakeRepo(root);
  }
}

describe('checkSkaffold', () => {
  it('on skaffold.yaml as it is, finds no problem and maps every profile to its overlay and images', () => {
    const { problems, deployments } = checkSkaffold();

    expect(problems).toEqual([]);
    const overlays = path.join(REPO_ROOT, 'infra', 'k8s', 'overlays');
    expect(deployments).toEqual([
      {
        profile: '(default)',
        overlay: path.join(overlays, 'dev'),
        artifacts: { 'expiration/Dockerfile': 'ticketing/expiration', 'orders/Dockerfile': 'ticketing/orders' },
      },
      expect.objectContaining({ profile: 'jetstream', overlay: path.join(overlays, 'dev-jetstream') }),
      expect.objectContaining({ profile: 'gateway', overlay: path.join(overlays, 'dev-gateway') }),
      {
        profile: 'course',
        overlay: path.join(overlays, 'course'),
        artifacts: { 'expiration/Dockerfile': 'ticketing/expiration', 'orders/Dockerfile': 'ticketing/orders' },
      },
      {
        profile: 'prod',
        overlay: path.join(overlays, 'prod'),
        artifacts: {
          'expiration/Dockerfile': 'registry.example.com/ticketing/expiration',
          'orders/Dockerfile': 'registry.example.com/ticketing/orders',
        },
      },
      expect.objectContaining({ profile: 'prod-jetstream', overlay: path.join(overlays, 'prod-jetstream') }),
      expect.objectContaining({ profile: 'prod-gateway', overlay: path.join(overlays, 'prod-gateway') }),
      expect.objectContaining({ profile: 'prod-ha', overlay: path.join(overlays, 'prod-ha') }),
    ]);
  });

  it('when an artifact points at a Dockerfile that does not exist, says so', () => {
    const problems = checkEdited((y) => y.replace('dockerfile: orders/Dockerfile', 'dockerfile: orders/Dockerfil'));

    expect(problems).toContainEqual(
      'skaffold.yaml: default pipeline: artifact ticketing/orders: dockerfile orders/Dockerfil does not exist',
    );
  });

  it('when a kustomize path has no kustomization, says so', () => {
    const problems = checkEdited((y) =>
      y.replace('- infra/k8s/overlays/dev-jetstream', '- infra/k8s/overlays/jetstream'),
    );

    expect(problems).toEqual([
      'skaffold.yaml: profile jetstream: manifests.kustomize.paths: infra/k8s/overlays/jetstream has no kustomization.yaml',
    ]);
  });

  it('when the target is not a stage of the Dockerfile, says which stages there are', () => {
    const problems = checkEdited((y) => y.replace('target: dev', 'target: develop'));

    expect(problems).toEqual([
      'skaffold.yaml: default pipeline: artifact ticketing/expiration: target develop is not a stage of expiration/Dockerfile (deps, dev, build, prod-deps, runtime)',
      // The prod profiles replace that target, so only the default, jetstream, gateway and course pipelines have it.
      'skaffold.yaml: profile jetstream: artifact ticketing/expiration: target develop is not a stage of expiration/Dockerfile (deps, dev, build, prod-deps, runtime)',
      'skaffold.yaml: profile gateway: artifact ticketing/expiration: target develop is not a stage of expiration/Dockerfile (deps, dev, build, prod-deps, runtime)',
      'skaffold.yaml: profile course: artifact ticketing/expiration: target develop is not a stage of expiration/Dockerfile (deps, dev, build, prod-deps, runtime)',
    ]);
  });

  it('when a sync source matches nothing, says so', () => {
    const problems = checkEdited((y) => y.replace('src: orders/src/**/*.ts', 'src: order/src/**/*.ts'));

    expect(problems).toContainEqual(
      'skaffold.yaml: default pipeline: artifact ticketing/orders: sync source order/src/**/*.ts matches nothing',
    );
  });

  it("when a profile's patch points at nothing, says so, as skaffold would", () => {
    const problems = checkEdited((y) => y.replace('path: /build/artifacts/1/sync', 'path: /build/artifacts/2/sync'));

    expect(problems).toEqual(
      expect.arrayContaining(['skaffold.yaml: profile prod: patch remove /build/artifacts/2/sync: no such path']),
    );
  });

  it('when the apiVersion is an old one, says so', () => {
    const problems = checkEdited((y) => y.replace(/apiVersion: skaffold\/v4beta\d+/, 'apiVersion: skaffold/v2beta29'));

    expect(problems).toEqual(['skaffold.yaml: apiVersion skaffold/v2beta29 is not a current skaffold/v4beta* one']);
  });

  it('when the file is missing, says so', () => {
    const root = fakeRepo({ 'skaffold.yaml': null });
    try {
      expect(checkSkaffold({ root }).problems).toEqual([
        { rule: 'skaffold', where: 'skaffold.yaml', message: 'is missing' },
      ]);
    } finally {
      removeFakeRepo(root);
    }
  });
});
