import path from 'node:path';
import { checkDockerfile } from './dockerfile';
import type { K8sObject } from './manifest';
import { OVERLAYS_DIR, REPO_ROOT, repoRelative } from './paths';
import { listOverlays, RenderError, renderKustomization } from './render';
import { environmentOf, type RuleContext, type Problem } from './rule-context';
import { checkRules } from './rules';
import { checkSchema } from './schema';
import { SERVICES } from './services';
import { sharedClusterOf, type SharedCluster } from './shared-cluster';
import { checkSkaffold, type SkaffoldDeployment } from './skaffold';

/** What one overlay rendered to. */
export interface OverlayReport {
  overlay: string;
  objects: K8sObject[];
  /** The skaffold profiles that deploy it. */
  profiles: string[];
  /** The shared cluster it deploys into, if its kustomization.yaml says so (shared-cluster.ts). */
  sharedCluster?: SharedCluster;
}

export interface RepoReport {
  overlays: OverlayReport[];
  dockerfiles: string[];
  problems: Problem[];
}

export interface ValidateOptions {
  root?: string;
  overlaysDir?: string;
  /** Also check the output of the image build (`npm run test:image-build`). */
  built?: boolean;
}

/**
 * Everything CI can prove without a cluster or a Docker engine: skaffold.yaml
 * and the Dockerfiles it names; then each overlay, rendered by kustomize,
 * against the Kubernetes schema and our rules.
 *
 * @param options - where the repository is
 * @returns what was checked, and every problem found
 */
export function validateRepo(options: ValidateOptions = {}): RepoReport {
  const root = options.root ?? REPO_ROOT;
  const overlaysDir = options.overlaysDir ?? OVERLAYS_DIR;
  const skaffold = checkSkaffold({ root });
  const problems: Problem[] = [...skaffold.problems];

  for (const service of SERVICES) problems.push(...checkDockerfile(service, { root, built: options.built }));

  const overlays: OverlayReport[] = [];
  for (const dir of listOverlays(overlaysDir)) {
    const deployedBy = skaffold.deployments.filter((d) => d.overlay === dir);
    const where = repoRelative(dir);
    if (deployedBy.length === 0) {
      problems.push({
        rule: 'skaffold',
        where,
        message: 'no skaffold profile deploys this overlay: add one to skaffold.yaml',
      });
    }
    const result = validateOverlay(dir, deployedBy);
    overlays.push({
      overlay: where,
      objects: result.objects,
      profiles: deployedBy.map((d) => d.profile),
      sharedCluster: result.sharedCluster,
    });
    problems.push(...result.problems);
  }
  return { overlays, dockerfiles: SERVICES.map((s) => s.dockerfile), problems };
}

/**
 * Renders one overlay and checks it: the schema, then our rules once for each
 * skaffold profile that deploys it (each with its own images).
 *
 * @param dir - the overlay folder
 * @param deployedBy - the skaffold profiles that deploy it
 * @returns its objects and problems, and the shared cluster it deploys into if it says so
 */
export function validateOverlay(
  dir: string,
  deployedBy: readonly SkaffoldDeployment[] = [],
): { objects: K8sObject[]; problems: Problem[]; sharedCluster?: SharedCluster } {
  const where = repoRelative(dir);
  let objects: K8sObject[];
  let sharedCluster: SharedCluster | undefined;
  try {
    objects = renderKustomization(dir);
    sharedCluster = sharedClusterOf(dir);
  } catch (err) {
    if (!(err instanceof RenderError)) throw err;
    return { objects: [], problems: [{ rule: 'render', where, message: err.message }] };
  }
  const problems = checkSchema(objects, where);
  // The rules read fields the schema guarantees; on a malformed object they would only add noise.
  if (problems.length > 0) return { objects, problems, sharedCluster };

  const context: RuleContext = { where, environment: environmentOf(path.basename(dir)), sharedCluster };
  const contexts = deployedBy.length > 0 ? deployedBy.map((d) => ({ ...context, artifacts: d.artifacts })) : [context];
  const seen = new Set<string>();
  for (const c of contexts) {
    for (const problem of checkRules(objects, c)) {
      const key = JSON.stringify(problem);
      if (!seen.has(key)) problems.push(problem);
      seen.add(key);
    }
  }
  return { objects, problems, sharedCluster };
}
