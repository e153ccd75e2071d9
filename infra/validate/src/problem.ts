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
