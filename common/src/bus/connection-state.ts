/**
 * The up, down and lost state of a transport's connection, shared by the
 * transports: since when it is down, and who to tell once it is lost for good.
 */
export class ConnectionState {
  private downSince?: number;
  private lostWith?: Error;
  private readonly lostCallbacks: ((err: Error) => void)[] = [];

  /** @param now - the clock, in milliseconds */
  constructor(private readonly now: () => number = Date.now) {}

  /** Whether the connection is up. */
  get up(): boolean {
    return this.downSince === undefined;
  }

  /** Whether the connection was lost for good. */
  get lost(): boolean {
    return this.lostWith !== undefined;
  }

  /** The connection went down; it may come back. Keeps the first time it went down. */
  markDown(): void {
    this.downSince ??= this.now();
  }

  /** The connection is up (again). Ignored once lost. */
  markUp(): void {
    if (!this.lost) this.downSince = undefined;
  }

  /**
   * The connection is lost for good: marks it down and calls every lost
   * callback once. A second call is ignored.
   *
   * @param err - why
   */
  markLost(err: Error): void {
    this.markDown();
    if (this.lost) return;
    this.lostWith = err;
    for (const callback of this.lostCallbacks.splice(0)) callback(err);
  }

  /** @returns 0 while up, otherwise the milliseconds since it went down */
  downForMs(): number {
    return this.downSince === undefined ? 0 : Math.max(0, this.now() - this.downSince);
  }

  /**
   * @param callback - called once when the connection is lost for good; on the
   * next tick when it is lost already
   */
  onLost(callback: (err: Error) => void): void {
    const err = this.lostWith;
    if (err) queueMicrotask(() => callback(err));
    else this.lostCallbacks.push(callback);
  }
}
