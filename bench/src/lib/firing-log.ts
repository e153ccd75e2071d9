/**
 * Which orders expired and when, as one observer saw it: the benchmark's
 * JetStream subscriber, or the raw Bull worker's report.
 */
export class FiringLog {
  private readonly entries = new Map<string, { first: number; last: number; count: number; keys?: Set<number> }>();
  private total = 0;
  /** Epoch milliseconds of the latest record. */
  lastRecordAt = 0;

  /**
   * Records one expiration:complete.
   *
   * @param orderId - the order
   * @param at - when it was seen, epoch milliseconds
   * @param key - identifies the stored message (its stream sequence), so that
   *   a redelivery of the same message to the observer is not counted twice
   */
  record(orderId: string, at: number, key?: number): void {
    let entry = this.entries.get(orderId);
    if (!entry) {
      entry = { first: at, last: at, count: 0 };
      this.entries.set(orderId, entry);
    }
    if (key !== undefined) {
      entry.keys ??= new Set();
      if (entry.keys.has(key)) return;
      entry.keys.add(key);
    }
    entry.count++;
    entry.last = Math.max(entry.last, at);
    this.total++;
    this.lastRecordAt = Math.max(this.lastRecordAt, at);
  }

  /** Orders seen at least once. */
  get distinct(): number {
    return this.entries.size;
  }

  /** Every record, duplicates included. */
  get records(): number {
    return this.total;
  }

  /** Records beyond the first of each order. */
  get duplicates(): number {
    return this.total - this.entries.size;
  }

  /** When an order was first seen, or undefined. */
  first(orderId: string): number | undefined {
    return this.entries.get(orderId)?.first;
  }

  /** When an order was last seen, or undefined: with `first`, how far apart its copies came. */
  last(orderId: string): number | undefined {
    return this.entries.get(orderId)?.last;
  }

  /** How many times an order was seen. */
  count(orderId: string): number {
    return this.entries.get(orderId)?.count ?? 0;
  }

  /**
   * @param orders - the orders expected
   * @returns how many of them have been seen
   */
  seenOf(orders: readonly { id: string }[]): number {
    let n = 0;
    for (const { id } of orders) if (this.entries.has(id)) n++;
    return n;
  }
}
