/**
 * Counts deliveries per message for a transport whose server doesn't, such as
 * NATS Streaming, which only flags a message as redelivered. The count covers
 * what this process has seen, which is what a bounded retry policy needs.
 * It forgets the oldest entries beyond `capacity`, so memory stays bounded even
 * when messages are never acked.
 */
export class DeliveryCounter {
  private readonly counts = new Map<string, number>();

  /** @param capacity - the most messages remembered at once */
  constructor(private readonly capacity = 10_000) {}

  /**
   * Records one delivery.
   *
   * @param key - identifies the message, for example its subject and sequence
   * @param redelivered - what the server says
   * @returns the number of deliveries, this one included
   */
  record(key: string, redelivered: boolean): number {
    const seen = this.counts.get(key);
    // A redelivered message we never saw was first delivered to an earlier process.
    const count = seen !== undefined ? seen + 1 : redelivered ? 2 : 1;
    this.counts.delete(key);
    this.counts.set(key, count);
    if (this.counts.size > this.capacity) {
      const oldest = this.counts.keys().next().value as string;
      this.counts.delete(oldest);
    }
    return count;
  }

  /** Forgets a message once it is acked. */
  forget(key: string): void {
    this.counts.delete(key);
  }

  /** How many messages are remembered. */
  get size(): number {
    return this.counts.size;
  }
}
