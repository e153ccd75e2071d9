/**
 * `npm run validate:k8s [-- --built]`: validates skaffold.yaml, the Dockerfiles
 * and every overlay offline, prints what it checked, and exits 1 on any problem.
 * `--built` also checks that the image build's output is there (CI runs it
 * after the build, as `npm run test:image-build`).
 */
import { formatProblem } from './rule-context';
import { RULES } from './rules';
import { SHARED_CLUSTER_EXEMPTIONS } from './shared-cluster';
import { validateRepo } from './validate-repo';

function main(): void {
  const built = process.argv.includes('--built');
  const report = validateRepo({ built });

  console.log('skaffold.yaml: apiVersion, profiles, contexts, Dockerfiles, targets, sync sources, kustomize paths');
  console.log(
    `Dockerfiles: ${report.dockerfiles.join(', ')}${built ? ' (and the build output their CMD starts)' : ''}`,
  );
  for (const overlay of report.overlays) {
    const kinds = new Map<string, number>();
    for (const o of overlay.objects) kinds.set(o.kind, (kinds.get(o.kind) ?? 0) + 1);
    const summary = [...kinds].map(([kind, n]) => `${n} ${kind}`).join(', ');
    const profiles = overlay.profiles.length > 0 ? overlay.profiles.join(', ') : 'none';
    console.log(
      `${overlay.overlay}: rendered ${overlay.objects.length} objects (${summary}); skaffold profiles: ${profiles}`,
    );
    if (overlay.sharedCluster) {
      const services = overlay.sharedCluster.services.map((s) => `${s.name}:${s.port}`).join(', ');
      const relaxed = Object.keys(SHARED_CLUSTER_EXEMPTIONS).join(', ');
      console.log(
        `  into a shared cluster, using its ${services}: relaxed ${relaxed} (infra/validate/src/shared-cluster.ts)`,
      );
    }
  }
  console.log(`Checked: Kubernetes and Gateway API schemas with unknown fields rejected; rules: ${RULES.join(', ')}`);

  if (report.problems.length > 0) {
    console.error(`\n${report.problems.length} problem(s):`);
    for (const problem of report.problems) console.error(`  ${formatProblem(problem)}`);
    process.exitCode = 1;
    return;
  }
  console.log('\nNo problems.');
}

main();
