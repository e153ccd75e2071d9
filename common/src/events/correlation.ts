import type { EventMessage } from '../bus/event-bus';

/**
 * The message header that carries a correlation id: the id of the HTTP
 * request that started a piece of work (an order's first request), so that
 * `grep <id>` over every service's logs tells its whole story.
 *
 * Only JetStream carries it. NATS Streaming has no headers: there the id does
 * not cross the bus, and services log the entity's id (the order id) instead,
 * which serves as the same key for grep.
 */
export const CORRELATION_ID_HEADER = 'Ticketing-Correlation-Id';

/** The longest correlation id that is passed on; a request id is far shorter. */
const CORRELATION_ID_MAX_LENGTH = 128;

// Visible ASCII only: no spaces, no CR/LF (which NATS refuses in a header value).
const CORRELATION_ID = new RegExp(`^[\\x21-\\x7e]{1,${CORRELATION_ID_MAX_LENGTH}}$`);

/**
 * Whether a value may travel as a correlation id: 1 to 128 visible ASCII
 * characters. A request id can come from a client, so anything else is left
 * out rather than put on the wire or in a log line.
 *
 * @param value - anything
 * @returns true for a usable id
 */
export function isCorrelationId(value: unknown): value is string {
  return typeof value === 'string' && CORRELATION_ID.test(value);
}

/**
 * The correlation id a message carries.
 *
 * @param msg - a delivered message
 * @returns the id of the {@link CORRELATION_ID_HEADER} header, or undefined
 *   when there is none (always on NATS Streaming) or it is not a usable id
 */
export function correlationIdOf(msg: Pick<EventMessage, 'getHeader'>): string | undefined {
  const value = msg.getHeader(CORRELATION_ID_HEADER);
  return isCorrelationId(value) ? value : undefined;
}
