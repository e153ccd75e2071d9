import { validateRepo, type RepoReport } from '../validate-repo';
import { lines } from './helpers/manifests';

describe('the repository', () => {
  let report: RepoReport;

  beforeAll(() => {
    report = validateRepo();
  });

  it('renders the course, dev, prod, JetStream, Gateway API and high-availability overlays, each deployed by a skaffold profile', () => {
    expect(report.overlays.map((o) => [o.overlay, o.profiles])).toEqual([
      ['infra/k8s/overlays/course', ['course']],
      ['infra/k8s/overlays/dev', ['(default)']],
      ['infra/k8s/overlays/dev-gateway', ['gateway']],
      ['infra/k8s/overlays/dev-jetstream', ['jetstream']],
      ['infra/k8s/overlays/prod', ['prod']],
      ['infra/k8s/overlays/prod-gateway', ['prod-gateway']],
      ['infra/k8s/overlays/prod-ha', ['prod-ha']],
      ['infra/k8s/overlays/prod-jetstream', ['prod-jetstream']],
    ]);
  });

  it('passes the schema and every rule: skaffold.yaml, the Dockerfiles and every overlay', () => {
    expect(lines(report.problems)).toEqual([]);
  });

  it('on JetStream, replaces NATS Streaming and sets EVENT_BUS=jetstream on both services', () => {
    for (const overlay of report.overlays.filter((o) => o.overlay.endsWith('-jetstream'))) {
      const images = overlay.objects.flatMap((o) => JSON.stringify(o).match(/"image":"[^"]+"/g) ?? []);
      expect(images.some((i) => i.includes('nats-streaming'))).toBe(false);
      expect(images).toContainEqual(expect.stringMatching(/"image":"nats:2\./));
      const eventBus = overlay.objects
        .filter((o) => o.kind === 'Deployment')
        .map((o) => JSON.stringify(o).match(/"name":"EVENT_BUS","value":"(\w+)"/)?.[1]);
      expect(eventBus).toEqual(['jetstream', 'jetstream']);
    }
  });
});
