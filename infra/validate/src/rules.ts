import { isWorkload, type K8sObject } from './manifest';
import { checkMonitoring } from './monitoring/monitoring-rules';
import { checkPods } from './pod-rules';
import type { Problem, RuleContext } from './rule-context';
import { checkServices } from './service-rules';
import { checkStores } from './store-rules';
import { checkTopology } from './topology-rules';

/** The names of the rules, in the order they run, for the CLI's summary. */
export const RULES = [
  'labels',
  'security-context',
  'resources',
  'probes',
  'ports',
  'grace-period',
  'images',
  'stores',
  'services',
  'env',
  'wiring',
  'availability',
  'monitoring',
] as const;

/**
 * Our own rules, on objects that have passed the schema check.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkRules(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const workloads = objects.filter(isWorkload);
  return [
    ...checkPods(workloads, context),
    ...checkStores(workloads, context),
    ...checkServices(objects, context),
    ...checkTopology(objects, context),
    ...checkMonitoring(objects, context),
  ];
}
