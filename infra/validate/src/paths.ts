import path from 'node:path';

/** The repository's root: the build context of the images and skaffold's working directory. */
export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** The kustomize tree: base/, components/ and overlays/. */
export const K8S_DIR = path.join(REPO_ROOT, 'infra', 'k8s');

/** Every folder in here is an overlay that must render and validate. */
export const OVERLAYS_DIR = path.join(K8S_DIR, 'overlays');

/**
 * @param file - an absolute path
 * @param root - the repository
 * @returns it relative to the repository, for messages
 */
export function repoRelative(file: string, root: string = REPO_ROOT): string {
  return path.relative(root, file) || '.';
}
