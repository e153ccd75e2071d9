import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import type { K8sObject, Workload } from './manifest';

/** A HorizontalPodAutoscaler, after the schema check. */
export type Autoscaler = IHorizontalPodAutoscaler & K8sObject;

/**
 * @param objects - the objects of one overlay
 * @returns its HorizontalPodAutoscalers
 */
export function autoscalersOf(objects: readonly K8sObject[]): Autoscaler[] {
  return objects.filter((o) => o.kind === 'HorizontalPodAutoscaler') as Autoscaler[];
}

/**
 * @param objects - the objects of one overlay
 * @param workload - a workload
 * @returns the HorizontalPodAutoscaler that scales it, if one does
 */
export function autoscalerOf(objects: readonly K8sObject[], workload: Workload): Autoscaler | undefined {
  return autoscalersOf(objects).find(
    (hpa) => hpa.spec?.scaleTargetRef.kind === workload.kind && hpa.spec.scaleTargetRef.name === workload.metadata.name,
  );
}

/**
 * The fewest pods a workload runs when nothing is failing: its autoscaler's
 * minReplicas (1 when unset) when one scales it, which then owns the count;
 * otherwise its replicas (1 when unset).
 *
 * @param objects - the objects of one overlay
 * @param workload - a workload
 * @returns that number
 */
export function minimumReplicas(objects: readonly K8sObject[], workload: Workload): number {
  const hpa = autoscalerOf(objects, workload);
  return hpa ? (hpa.spec?.minReplicas ?? 1) : (workload.spec.replicas ?? 1);
}
