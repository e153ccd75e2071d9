/**
 * The JetStream stream of the bus can't take its subjects because other
 * streams capture them already. It is operational: the server is set up for
 * another stream name, and restarting won't change that; the message says how
 * to fix it.
 */
export class StreamSubjectsOverlapError extends Error {
  readonly isOperational = true;

  /**
   * @param stream - the stream the bus wanted
   * @param holders - the streams that capture its subjects
   * @param options - `cause`: the server's error
   */
  constructor(
    readonly stream: string,
    readonly holders: readonly string[],
    options?: ErrorOptions,
  ) {
    const first = holders[0] ?? '<name>';
    const who =
      holders.length === 0
        ? 'another stream captures them already (list them with `nats stream ls`)'
        : holders.length === 1
          ? `stream ${first} captures them already`
          : `streams ${holders.join(', ')} capture them already`;
    super(
      `JetStream stream ${stream} can't capture the event subjects: ${who}. ` +
        `Either use that stream (set NATS_STREAM=${first}) or delete it (nats stream rm ${first}).`,
      options,
    );
    this.name = 'StreamSubjectsOverlapError';
  }
}
