import { checkClusterTraffic } from './cluster-traffic-rules';
import { checkGatewayRoutes } from './gateway-rules';
import { checkHighAvailability } from './ha-rules';
import { checkImageVersions } from './image-versions';
import { isWorkload, type K8sObject } from './manifest';
import { checkNetworkPolicies } from './network-policy-rules';
import { checkMonitoring } from './monitoring/monitoring-rules';
import { checkPods } from './pod-rules';
import type { Problem, RuleContext } from './rule-context';
import { checkSecurity } from './security-rules';
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
  'replication',
  'auth',
  'secrets',
  'network-policy',
  'image-versions',
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
    ...checkHighAvailability(objects, context),
    ...checkGatewayRoutes(objects, context),
    ...checkSecurity(objects, context),
    ...checkNetworkPolicies(objects, context),
    ...checkClusterTraffic(objects, context),
    ...checkImageVersions(workloads, context),
    ...checkMonitoring(objects, context),
  ];
}
