/**
 * Why the recent deliveries of messages failed, by sequence, so that a message
 * given up on at a later delivery is dead-lettered with its real reason. It
 * forgets the oldest entries beyond `capacity`: what a listener remembers stays
 * bounded whatever happens.
 */
export class RecentFailures {
  private readonly reasons = new Map<number, string>();

  /** @param capacity - the most messages remembered at once */
  constructor(private readonly capacity = 1_000) {}

  /**
   * @param sequence - the message
   * @param reason - why its delivery failed
   */
  remember(sequence: number, reason: string): void {
    this.reasons.delete(sequence);
    this.reasons.set(sequence, reason);
    if (this.reasons.size > this.capacity) this.reasons.delete(this.reasons.keys().next().value as number);
  }

  /** @returns why the last delivery of the message failed, if known */
  recall(sequence: number): string | undefined {
    return this.reasons.get(sequence);
  }

  /** Forgets a message that is done with. */
  forget(sequence: number): void {
    this.reasons.delete(sequence);
  }

  /** How many messages are remembered. */
  get size(): number {
    return this.reasons.size;
  }
}
