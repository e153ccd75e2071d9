import { parseDeadLetter, type DeadLetter } from './dead-letter';

/** A dead letter as it is stored: on the dead-letter subject of the stream, or the dead-letter channel. */
export type StoredDeadLetter =
  | {
      /** Its own sequence, in the stream (JetStream) or on the channel (NATS Streaming): what `replay` takes. */
      seq: number;
      /** When it was stored. */
      storedAt: Date;
      letter: DeadLetter;
    }
  | {
      seq: number;
      storedAt: Date;
      /** Something that is not a dead letter was published on the dead-letter subject; why it can't be read. */
      unreadable: string;
    };

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions {
  /**
   * The most dead letters returned, oldest first.
   *
   * @defaultValue 100
   */
  limit?: number;
  /**
   * How long to wait for the server before concluding there is nothing (more)
   * to read. Only NATS Streaming needs it: it can't say how many messages a
   * channel holds.
   *
   * @defaultValue 2000
   */
  quietMs?: number;
}

/** What {@link replayDeadLetter} did. */
export interface ReplayedDeadLetter {
  /** The dead letter's own sequence. */
  seq: number;
  letter: DeadLetter;
  /** The sequence of the event published again, when the transport says (JetStream). */
  publishedSeq?: number;
  /** Whether the dead letter was deleted (JetStream) or stays where it was (NATS Streaming). */
  deleted: boolean;
}

/**
 * Reads a message of the dead-letter subject as a dead letter, or says why it
 * is not one.
 *
 * @param seq - its sequence
 * @param storedAt - when it was stored
 * @param data - its payload
 * @returns the stored dead letter
 */
export function readStoredDeadLetter(seq: number, storedAt: Date, data: Uint8Array | string): StoredDeadLetter {
  try {
    return { seq, storedAt, letter: parseDeadLetter(data) };
  } catch (err) {
    return { seq, storedAt, unreadable: (err as Error).message };
  }
}
