import fs from 'node:fs';
import path from 'node:path';
import { JsonPatchError, applyOperation, type Operation } from 'fast-json-patch';
import { parse } from 'yaml';
import { parseDockerfile } from './dockerfile';
import { REPO_ROOT, repoRelative } from './paths';
import { Findings, type Problem } from './rule-context';
import { SERVICES } from './services';

interface Artifact {
  image?: string;
  context?: string;
  docker?: { dockerfile?: string; target?: string };
  sync?: { manual?: { src?: string; dest?: string }[] };
}

interface Pipeline {
  build?: { artifacts?: Artifact[] };
  manifests?: { kustomize?: { paths?: string[] }; rawYaml?: string[] };
}

interface Profile extends Pipeline {
  name?: string;
  patches?: { op?: string; path?: string; value?: unknown }[];
}

interface SkaffoldConfig extends Pipeline {
  apiVersion?: string;
  kind?: string;
  profiles?: Profile[];
}

/** What skaffold deploys to one overlay, under one profile. */
export interface SkaffoldDeployment {
  /** The profile, or `(default)`. */
  profile: string;
  /** The overlay folder, absolute. */
  overlay: string;
  /** The images it builds, by Dockerfile (relative to the repository). */
  artifacts: Record<string, string>;
}

export interface SkaffoldReport {
  problems: Problem[];
  deployments: SkaffoldDeployment[];
}

/**
 * Checks skaffold.yaml, with each profile applied: a current apiVersion, and
 * every context, Dockerfile, target stage, sync source and kustomization it
 * names exists. Each artifact is one of our services, built from its own
 * Dockerfile.
 *
 * @param options - the repository, and skaffold.yaml in it
 * @returns the problems, and which images each overlay is deployed with
 */
export function checkSkaffold(options: { root?: string; file?: string } = {}): SkaffoldReport {
  const root = options.root ?? REPO_ROOT;
  const file = options.file ?? path.join(root, 'skaffold.yaml');
  const found = new Findings('skaffold');
  const at = repoRelative(file, root);
  if (!fs.existsSync(file)) {
    found.add(at, 'is missing');
    return { problems: found.problems, deployments: [] };
  }
  const config = parse(fs.readFileSync(file, 'utf8')) as SkaffoldConfig;
  if (!/^skaffold\/v4beta\d+$/.test(config.apiVersion ?? '')) {
    found.add(at, `apiVersion ${config.apiVersion} is not a current skaffold/v4beta* one`);
  }
  if (config.kind !== 'Config') found.add(at, `kind ${config.kind} must be Config`);

  const deployments: SkaffoldDeployment[] = [];
  const pipelines: [string, Pipeline][] = [['(default)', config]];
  for (const profile of config.profiles ?? []) {
    const name = profile.name ?? '(unnamed)';
    try {
      pipelines.push([name, applyProfile(config, profile)]);
    } catch (err) {
      found.add(`${at}: profile ${name}`, (err as Error).message);
    }
  }
  for (const [profile, pipeline] of pipelines) {
    const where = `${at}: ${profile === '(default)' ? 'default pipeline' : `profile ${profile}`}`;
    const artifacts = checkArtifacts(pipeline.build?.artifacts ?? [], root, where, found);
    const overlays = pipeline.manifests?.kustomize?.paths ?? [];
    if (overlays.length === 0) found.add(where, 'deploys no kustomization (manifests.kustomize.paths)');
    for (const overlay of overlays) {
      const dir = path.resolve(root, overlay);
      if (!fs.existsSync(path.join(dir, 'kustomization.yaml'))) {
        found.add(where, `manifests.kustomize.paths: ${overlay} has no kustomization.yaml`);
        continue;
      }
      deployments.push({ profile, overlay: dir, artifacts });
    }
    for (const raw of pipeline.manifests?.rawYaml ?? []) {
      if (!fs.existsSync(path.resolve(root, raw))) found.add(where, `manifests.rawYaml: ${raw} does not exist`);
    }
  }
  return { problems: found.problems, deployments };
}

function checkArtifacts(
  artifacts: readonly Artifact[],
  root: string,
  where: string,
  found: Findings,
): Record<string, string> {
  const byDockerfile: Record<string, string> = {};
  if (artifacts.length === 0) found.add(where, 'builds no artifact');
  for (const artifact of artifacts) {
    const at = `${where}: artifact ${artifact.image ?? '(no image)'}`;
    const context = path.resolve(root, artifact.context ?? '.');
    if (!fs.existsSync(context)) {
      found.add(at, `context ${artifact.context} does not exist`);
      continue;
    }
    const dockerfile = path.join(context, artifact.docker?.dockerfile ?? 'Dockerfile');
    const relative = path.relative(root, dockerfile);
    if (!fs.existsSync(dockerfile)) {
      found.add(at, `dockerfile ${relative} does not exist`);
      continue;
    }
    if (!SERVICES.some((s) => s.dockerfile === relative)) {
      found.add(
        at,
        `${relative} is not the Dockerfile of one of our services (${SERVICES.map((s) => s.dockerfile).join(', ')})`,
      );
    }
    if (byDockerfile[relative]) found.add(at, `${relative} is built twice`);
    if (artifact.image) byDockerfile[relative] = artifact.image;
    else found.add(at, 'has no image name');

    const target = artifact.docker?.target;
    const stages = parseDockerfile(fs.readFileSync(dockerfile, 'utf8')).map((s) => s.name);
    if (target !== undefined && !stages.includes(target)) {
      found.add(at, `target ${target} is not a stage of ${relative} (${stages.filter(Boolean).join(', ')})`);
    }
    for (const rule of artifact.sync?.manual ?? []) {
      // The folder before the first wildcard must exist, inside the context.
      const base = (rule.src ?? '').split(/[*?[{]/)[0].replace(/\/[^/]*$/, '');
      if (!rule.src || !fs.existsSync(path.join(context, base)))
        found.add(at, `sync source ${rule.src} matches nothing`);
      if (!rule.dest) found.add(at, `sync rule ${rule.src} has no dest`);
    }
  }
  return byDockerfile;
}

/**
 * Skaffold's profile semantics, for the fields we use: the JSON patches apply
 * to the whole config first (fast-json-patch, which refuses a path that does
 * not exist, as skaffold does), then the profile's own build and manifests
 * replace the config's.
 *
 * @param config - skaffold.yaml
 * @param profile - one of its profiles
 * @returns the pipeline under that profile
 * @throws Error when a patch doesn't apply, as skaffold would
 */
export function applyProfile(config: SkaffoldConfig, profile: Profile): Pipeline {
  let patched: Pipeline = structuredClone({ build: config.build, manifests: config.manifests });
  for (const patch of profile.patches ?? []) {
    try {
      patched = applyOperation(patched, patch as Operation, true).newDocument;
    } catch (err) {
      const unresolvable = err instanceof JsonPatchError && err.name === 'OPERATION_PATH_UNRESOLVABLE';
      throw new Error(`patch ${patch.op} ${patch.path}: ${unresolvable ? 'no such path' : (err as Error).message}`, {
        cause: err,
      });
    }
  }
  return { build: profile.build ?? patched.build, manifests: profile.manifests ?? patched.manifests };
}
