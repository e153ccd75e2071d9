import type { SharedCluster } from './shared-cluster';

/** One thing wrong with the manifests, the Dockerfiles or skaffold.yaml. */
export interface Problem {
  /** The check that found it, such as `schema` or `probes`. */
  rule: string;
  /** Where, such as `overlays/dev: Deployment/orders-depl: containers[orders]`. */
  where: string;
  message: string;
}

/**
 * @param problem - a problem
 * @returns it on one line
 */
export function formatProblem(problem: Problem): string {
  return `[${problem.rule}] ${problem.where}: ${problem.message}`;
}

/** What the rules know of the overlay they check. */
export interface RuleContext {
  /** The overlay, such as `overlays/dev`, for messages. */
  where: string;
  /**
   * What the overlay is for, from its name (`dev…` or `prod…`): dev runs one
   * replica of each service; prod runs two, with PodDisruptionBudgets, and a
   * real host.
   */
  environment?: 'dev' | 'prod';
  /**
   * The images skaffold builds for the profile that deploys this overlay
   * (skaffold.yaml), by Dockerfile: each service must run the image built
   * from its own Dockerfile. Undefined when no profile deploys the overlay,
   * which the skaffold check reports.
   */
  artifacts?: Readonly<Record<string, string>>;
  /**
   * Set when the overlay deploys into a cluster that already runs other
   * services (its kustomization.yaml's annotation `ticketing/shared-cluster`):
   * the Services of that cluster it uses. shared-cluster.ts lists the rules
   * this relaxes, and why.
   */
  sharedCluster?: SharedCluster;
}

/** Collects the problems of one rule. */
export class Findings {
  readonly problems: Problem[] = [];

  constructor(private readonly rule: string) {}

  /**
   * @param where - where, such as `overlays/dev: Deployment/orders-depl`
   * @param message - what is wrong
   */
  add(where: string, message: string): void {
    this.problems.push({ rule: this.rule, where, message });
  }

  /**
   * @param rules - several rules' names
   * @returns the findings of each; `Object.values` lists them in this order
   */
  static of<R extends string>(...rules: R[]): Record<R, Findings> {
    return Object.fromEntries(rules.map((rule) => [rule, new Findings(rule)])) as Record<R, Findings>;
  }
}

/**
 * @param overlay - an overlay's folder name
 * @returns what it is for, from its name; `course` deploys into the course's local cluster, so it is dev
 */
export function environmentOf(overlay: string): RuleContext['environment'] {
  if (overlay.startsWith('prod')) return 'prod';
  if (overlay.startsWith('dev') || overlay === 'course') return 'dev';
  return undefined;
}
