import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';

/** A label selector: matchLabels and matchExpressions. */
export type LabelSelector = NonNullable<INetworkPolicy['spec']>['podSelector'];

/**
 * Whether a label selector, as NetworkPolicies write them, picks a set of
 * labels: every matchLabels entry, and every matchExpressions requirement.
 *
 * @param selector - a selector; an empty one selects everything
 * @param labels - a pod's labels
 * @returns whether it selects them
 */
export function selects(selector: LabelSelector | undefined, labels: Readonly<Record<string, string>> = {}): boolean {
  const equal = Object.entries(selector?.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return (
    equal &&
    (selector?.matchExpressions ?? []).every(({ key, operator, values = [] }) => {
      const value = labels[key];
      switch (operator) {
        case 'In':
          return value !== undefined && values.includes(value);
        case 'NotIn':
          return value === undefined || !values.includes(value);
        case 'Exists':
          return value !== undefined;
        case 'DoesNotExist':
          return value === undefined;
        default:
          return false;
      }
    })
  );
}

/**
 * @param selector - a selector
 * @returns whether it is empty, and so selects everything
 */
export function isEmptySelector(selector: LabelSelector | undefined): boolean {
  return Object.keys(selector?.matchLabels ?? {}).length === 0 && (selector?.matchExpressions ?? []).length === 0;
}
