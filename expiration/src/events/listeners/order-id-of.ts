import type { EventMessage } from '@grider-ms-tickets/common';

/**
 * The `id` of an invalid order event, when there is one, so that even the log
 * line of a rejected message names its order.
 *
 * @param msg - the rejected message
 * @returns the id, or undefined when the payload has none
 */
export function orderIdOf(msg: EventMessage): string | undefined {
  try {
    const payload: unknown = JSON.parse(msg.getRawData().toString('utf8'));
    const id = (payload as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}
