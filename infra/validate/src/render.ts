import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isK8sObject, type K8sObject } from './manifest';
import { OVERLAYS_DIR } from './paths';

/** kubectl is missing, or kustomize refused a kustomization. */
export class RenderError extends Error {
  readonly isOperational = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RenderError';
  }
}

/**
 * Renders a kustomization as `kubectl apply -k` would, with the kustomize built
 * into kubectl, offline.
 *
 * @param dir - the folder of a kustomization.yaml
 * @returns its objects
 * @throws RenderError when kubectl is missing or kustomize fails
 */
export function renderKustomization(dir: string): K8sObject[] {
  let output: string;
  try {
    output = execFileSync('kubectl', ['kustomize', dir], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 32 * 1024 * 1024,
    });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') {
      throw new RenderError('kubectl is not installed: it renders the kustomizations (kubectl kustomize)', {
        cause: err,
      });
    }
    throw new RenderError(`kubectl kustomize ${dir} failed: ${(e.stderr ?? e.message).trim()}`, { cause: err });
  }
  return parseManifests(output, dir);
}

/**
 * @param text - YAML documents separated by `---`
 * @param source - where they come from, for messages
 * @returns the objects, empty documents left out
 * @throws RenderError on YAML errors or a document that is not a Kubernetes object
 */
export function parseManifests(text: string, source: string): K8sObject[] {
  const objects: K8sObject[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new RenderError(`${source}: ${doc.errors[0].message}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) continue;
    if (!isK8sObject(value)) throw new RenderError(`${source}: a document without apiVersion, kind and metadata.name`);
    objects.push(value);
  }
  return objects;
}

/**
 * @param dir - the overlays folder
 * @returns every sub-folder with a kustomization.yaml, sorted
 */
export function listOverlays(dir: string = OVERLAYS_DIR): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && fs.existsSync(path.join(dir, entry.name, 'kustomization.yaml')))
    .map((entry) => path.join(dir, entry.name))
    .sort();
}
