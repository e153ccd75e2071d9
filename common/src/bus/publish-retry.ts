import { RequestError, TimeoutError } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';

/**
 * How a JetStream publish is retried when it fails for a reason that passes:
 * the stream has no leader for a moment (its leader's server died and the
 * others elect a new one, about 5 s on a cluster of three), or the server the
 * client is on restarts. Each retry sends the same `Nats-Msg-Id`, so a message
 * that was stored after all is stored once.
 */
export interface PublishRetryPolicy {
  /** Attempts in all, the first one included. */
  attempts: number;
  /** The wait before the first retry; it doubles before each next one. */
  firstDelayMs: number;
  /** The longest wait between two attempts. */
  maxDelayMs: number;
  /** No attempt starts later than this after the first one started. */
  deadlineMs: number;
}

/**
 * Six attempts, 0.25 s apart doubling to 2 s: 5.75 s of waits, which covers
 * the election of a new stream leader after a SIGKILL of the old one (about
 * 5-6 s on nats-server 2.9, most of it spent in one timed-out attempt). No
 * attempt starts after 10 s, so with the client's 5 s request timeout a
 * publish gives up within 15 s at worst, and then its caller's own retry takes
 * over (expiration's Bull job, orders' outbox sweeper).
 */
export const DEFAULT_PUBLISH_RETRY: Readonly<PublishRetryPolicy> = {
  attempts: 6,
  firstDelayMs: 250,
  maxDelayMs: 2_000,
  deadlineMs: 10_000,
};

/**
 * What a failed publish tells about the message:
 * - `not-stored`: the server answered that no stream took it (no responders,
 *   or JetStream's 503 "temporarily unavailable"), so sending it again can't
 *   store it twice;
 * - `unknown`: no answer came in time; the stream may have stored it, so only
 *   a publish with a message id may be sent again;
 * - undefined: a failure that another attempt would not mend (a closed
 *   connection, a refused message, a permission error).
 *
 * @param err - what the publish threw
 * @returns whether and how the publish may be retried
 */
export function transientPublishFailure(err: unknown): 'not-stored' | 'unknown' | undefined {
  if (err instanceof TimeoutError) return 'unknown';
  if (isNoResponders(err) || (err instanceof Error && isNoResponders(err.cause))) return 'not-stored';
  if (err instanceof JetStreamApiError && err.status === 503) return 'not-stored';
  return undefined;
}

function isNoResponders(err: unknown): boolean {
  return err instanceof RequestError && err.isNoResponders();
}

/**
 * @param policy - the retry policy
 * @param retry - 1 for the first retry
 * @returns how long to wait before it
 */
export function publishRetryDelay(policy: PublishRetryPolicy, retry: number): number {
  return Math.min(policy.firstDelayMs * 2 ** (retry - 1), policy.maxDelayMs);
}
