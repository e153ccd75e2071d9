import path from 'node:path';
import type { K8sObject } from '../../manifest';
import { OVERLAYS_DIR } from '../../paths';
import { renderKustomization } from '../../render';
import { environmentOf, type RuleContext, type Problem } from '../../rule-context';
import { checkRules } from '../../rules';
import { checkSchema } from '../../schema';
import { sharedClusterOf } from '../../shared-cluster';
import { checkSkaffold } from '../../skaffold';

const rendered = new Map<string, K8sObject[]>();

/**
 * @param overlay - an overlay's folder name, such as `dev`
 * @returns a fresh copy of its rendered objects, to break as a test likes
 */
export function renderOverlay(overlay: string): K8sObject[] {
  if (!rendered.has(overlay)) rendered.set(overlay, renderKustomization(path.join(OVERLAYS_DIR, overlay)));
  return structuredClone(rendered.get(overlay) as K8sObject[]);
}

/**
 * @param overlay - an overlay's folder name
 * @returns the context skaffold.yaml and its kustomization.yaml give it: its environment, images and shared cluster
 */
export function contextOf(overlay: string): RuleContext {
  const dir = path.join(OVERLAYS_DIR, overlay);
  const deployment = checkSkaffold().deployments.find((d) => d.overlay === dir);
  return {
    where: `overlays/${overlay}`,
    environment: environmentOf(overlay),
    artifacts: deployment?.artifacts,
    sharedCluster: sharedClusterOf(dir),
  };
}

/**
 * @param objects - rendered objects
 * @param kind - a kind
 * @param name - a name
 * @returns that object, typed loosely so that a test can break it
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function find(objects: K8sObject[], kind: string, name: string): any {
  const object = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!object) throw new Error(`no ${kind}/${name}`);
  return object;
}

/**
 * Renders an overlay, lets the test break it, and validates the result as the
 * validator does: the schema, then our rules.
 *
 * @param overlay - an overlay's folder name
 * @param breakIt - changes the objects in place
 * @returns the problems
 */
export function problemsAfter(overlay: string, breakIt: (objects: K8sObject[]) => void): Problem[] {
  const objects = renderOverlay(overlay);
  breakIt(objects);
  const context = contextOf(overlay);
  const schema = checkSchema(objects, context.where);
  return schema.length > 0 ? schema : checkRules(objects, context);
}

/**
 * @param problems - problems
 * @returns them as `rule: message` lines, easy to match in an assertion
 */
export function lines(problems: readonly Problem[]): string[] {
  return problems.map((p) => `${p.rule}: ${p.where}: ${p.message}`);
}
