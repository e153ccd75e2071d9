/**
 * Fewer replicas than `REDIS_WAIT_REPLICAS` confirmed writes in time, or the
 * connection that made them was lost before they could confirm. Operational:
 * the writes are on the master but may not survive a failover, so the event
 * that asked for them must not be acked yet. Its redelivery writes nothing
 * new (the job or cancellation is there) and waits again.
 */
export class ReplicaShortfallError extends Error {
  readonly isOperational = true;

  /**
   * @param wanted - the replicas asked for
   * @param confirmed - how many confirmed; 0 when the connection was lost
   * @param timeoutMs - how long WAIT waited
   * @param reconnected - the connection was lost between the writes and the answer of WAIT
   */
  constructor(
    readonly wanted: number,
    readonly confirmed: number,
    readonly timeoutMs: number,
    readonly reconnected: boolean,
  ) {
    super(
      reconnected
        ? `the Redis connection was lost before ${wanted} replica(s) confirmed the writes; ` +
            'they may be missing from the new master'
        : `${confirmed} of ${wanted} Redis replica(s) confirmed the writes within ${timeoutMs} ms ` +
            '(REDIS_WAIT_REPLICAS, REDIS_WAIT_TIMEOUT_MS)',
    );
    this.name = 'ReplicaShortfallError';
  }
}
