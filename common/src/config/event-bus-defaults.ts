/**
 * The defaults of the event bus settings, in one place for the env schema, the
 * transports and the listeners.
 */

/** Deliveries of one message before a listener dead-letters it. */
export const DEFAULT_MAX_DELIVERIES = 10;

/** How long the bus may be down before the liveness probe fails: 60 s. */
export const DEFAULT_DOWN_GRACE_MS = 60_000;

/** How long the JetStream stream keeps a message: 7 days. */
export const DEFAULT_STREAM_MAX_AGE_MS = 7 * 24 * 60 * 60 * 1000;

/** How large the JetStream stream may grow before it drops its oldest messages: 1 GiB. */
export const DEFAULT_STREAM_MAX_BYTES = 2 ** 30;

/** How many servers of a JetStream cluster keep a copy of the stream: 1, as on a single server. */
export const DEFAULT_STREAM_REPLICAS = 1;
