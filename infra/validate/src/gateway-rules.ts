import { describe, findObject, findService, type K8sObject } from './manifest';
import { Findings, type Problem, type RuleContext } from './rule-context';

/** The course's local host, which must not reach production. */
const DEV_HOST = 'ticketing.dev';

interface GatewayObject extends K8sObject {
  spec: { listeners: { name: string; hostname?: string }[] };
}

interface HTTPRouteObject extends K8sObject {
  spec: {
    parentRefs?: { name: string; kind?: string; sectionName?: string; namespace?: string }[];
    hostnames?: string[];
    rules?: { backendRefs?: { name: string; kind?: string; port?: number; namespace?: string }[] }[];
  };
}

/**
 * The Gateway API objects point at each other, as the Ingress checks do for
 * Ingresses: every HTTPRoute attaches to a Gateway (and listener) of the
 * overlay, and sends to Services of the overlay on ports they expose;
 * production serves its own host.
 *
 * @param objects - the objects of one overlay
 * @param context - the overlay
 * @returns the problems
 */
export function checkGatewayRoutes(objects: readonly K8sObject[], context: RuleContext): Problem[] {
  const found = new Findings('wiring');
  const prodHost = (at: string, host: string | undefined) => {
    if (context.environment === 'prod' && host === DEV_HOST) {
      found.add(at, `host ${DEV_HOST} is the local one: production sets its own (overlays/prod-gateway)`);
    }
  };
  for (const gateway of objects.filter((o) => o.kind === 'Gateway') as GatewayObject[]) {
    for (const listener of gateway.spec.listeners)
      prodHost(`${context.where}: ${describe(gateway)}`, listener.hostname);
  }
  for (const route of objects.filter((o) => o.kind === 'HTTPRoute') as HTTPRouteObject[]) {
    const at = `${context.where}: ${describe(route)}`;
    for (const host of route.spec.hostnames ?? []) prodHost(at, host);
    for (const parent of route.spec.parentRefs ?? []) {
      if ((parent.kind ?? 'Gateway') !== 'Gateway' || parent.namespace) continue;
      const gateway = findObject<GatewayObject>(objects, 'Gateway', parent.name);
      if (!gateway) found.add(at, `attaches to Gateway ${parent.name}, which is not in this overlay`);
      else if (parent.sectionName && !gateway.spec.listeners.some((l) => l.name === parent.sectionName)) {
        found.add(at, `attaches to listener ${parent.sectionName}, which Gateway ${parent.name} does not have`);
      }
    }
    for (const backend of (route.spec.rules ?? []).flatMap((rule) => rule.backendRefs ?? [])) {
      if ((backend.kind ?? 'Service') !== 'Service' || backend.namespace) continue;
      const service = findService(objects, backend.name);
      if (!service) found.add(at, `sends to Service ${backend.name}, which is not in this overlay`);
      else if (!(service.spec?.ports ?? []).some((p) => p.port === backend.port)) {
        found.add(at, `sends to port ${backend.port ?? '(none)'}, which Service ${backend.name} does not expose`);
      }
    }
  }
  return found.problems;
}
