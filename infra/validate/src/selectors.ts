import type { IService } from 'kubernetes-models/v1';
import { isWorkload, type K8sObject, type Workload } from './manifest';

/**
 * @param selector - label selector entries (matchLabels, or a Service's selector)
 * @param workload - a workload
 * @returns whether the selector picks the workload's pods
 */
export function selectsPods(selector: Record<string, string> | undefined, workload: Workload): boolean {
  const entries = Object.entries(selector ?? {});
  const labels = workload.spec.template.metadata?.labels ?? {};
  return entries.length > 0 && entries.every(([key, value]) => labels[key] === value);
}

/**
 * @param objects - the objects of one overlay
 * @param selector - label selector entries
 * @returns the workloads whose pods it picks
 */
export function workloadsSelectedBy(
  objects: readonly K8sObject[],
  selector: Record<string, string> | undefined,
): Workload[] {
  return objects.filter(isWorkload).filter((w) => selectsPods(selector, w));
}

/**
 * @param objects - the objects of one overlay
 * @param name - a Service's name
 * @returns that Service
 */
export function findService(objects: readonly K8sObject[], name: string): (IService & K8sObject) | undefined {
  return objects.find((o) => o.kind === 'Service' && o.metadata.name === name) as (IService & K8sObject) | undefined;
}
