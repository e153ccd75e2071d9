import type Redis from 'ioredis';
import { ReplicaShortfallError } from './replica-shortfall-error';

/** How many replicas must hold a write before it counts as done, and how long to wait for them. */
export interface ReplicaWaitOptions {
  /** `REDIS_WAIT_REPLICAS`; 0 waits for none. */
  replicas: number;
  /** `REDIS_WAIT_TIMEOUT_MS`: the most WAIT may block. */
  timeoutMs: number;
}

/**
 * Makes writes wait for replicas: runs them, then `WAIT <replicas>
 * <timeout>` on the connection that made them, and throws a
 * {@link ReplicaShortfallError} if fewer replicas confirm in time.
 *
 * Redis replicates asynchronously: a write the master answered may be missing
 * from the replica that a failover promotes. An event acked after such a
 * write would be lost with it (an order that never expires). With WAIT the
 * event is acked only once the replicas hold what it asked for, so a failover
 * loses no acknowledged event; what it costs is a round trip per batch, and
 * no acks at all while fewer replicas than asked for are up.
 *
 * WAIT counts the writes made so far *on its own connection*. So the writes
 * must go through the same ioredis client (Bull's `queue.client`: its
 * `add`, and the MULTI of `addBulk`, use it), and a reconnect between the
 * writes and the answer makes the answer worthless: the writes went to the
 * old master, and WAIT (resent by ioredis on the new connection) counts the
 * new master's replicas. Every `close` of the connection is counted, and a
 * change of that count fails the wait as a shortfall.
 */
export class ReplicaWait {
  /** How many times the connection has closed: a change means the writes and WAIT may have gone to two masters. */
  private closes = 0;

  /**
   * @param client - the connection the writes go through
   * @param options - replicas and timeout
   * @param fenceChannel - see {@link ReplicaWait.afterWrites}'s `fence`
   */
  constructor(
    private readonly client: Redis,
    private readonly options: ReplicaWaitOptions,
    private readonly fenceChannel: string,
  ) {
    if (options.replicas > 0) client.on('close', () => this.closes++);
  }

  /** Whether writes wait for any replica. */
  get enabled(): boolean {
    return this.options.replicas > 0;
  }

  /**
   * Runs `writes`, then waits until the replicas hold them.
   *
   * @param writes - the commands, on the client given to the constructor
   * @param fence - given the writes' result, says whether they may have
   *   written nothing while relying on data written by another connection
   *   (an order found already scheduled, say: another instance's add that may
   *   itself be unconfirmed). WAIT only covers what the master held at this
   *   connection's last command that counts: whether a read counts depends on
   *   the Redis version (7.0's does), a PUBLISH, which Redis replicates,
   *   always does. So one is sent first, and WAIT then covers everything the
   *   master holds.
   * @returns what `writes` returned
   * @throws ReplicaShortfallError when fewer replicas confirm in time, or the connection was lost
   * @throws the Redis error when the writes or WAIT fail
   */
  async afterWrites<T>(writes: () => Promise<T>, fence?: (result: T) => boolean): Promise<T> {
    if (!this.enabled) return writes();
    const closesBefore = this.closes;
    const result = await writes();
    if (fence?.(result)) await this.client.publish(this.fenceChannel, '');
    const { replicas, timeoutMs } = this.options;
    const confirmed = await this.client.wait(replicas, timeoutMs);
    const reconnected = this.closes !== closesBefore;
    if (reconnected || confirmed < replicas) {
      throw new ReplicaShortfallError(replicas, reconnected ? 0 : confirmed, timeoutMs, reconnected);
    }
    return result;
  }
}
