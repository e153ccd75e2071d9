import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { DEAD_LETTER_SUBJECT, deadLetterPayload, parseDeadLetter } from './dead-letter';
import {
  readStoredDeadLetter,
  type ListDeadLettersOptions,
  type ReplayedDeadLetter,
  type StoredDeadLetter,
} from './stored-dead-letter';
import type { JetStreamBus } from '../bus/jetstream-bus';

/** How long a read waits for the server. */
const READ_TIMEOUT_MS = 5_000;

/**
 * Reads the dead letters of a JetStream bus's stream, oldest first, with an
 * ordered consumer filtered on the dead-letter subject. It reads only: nothing
 * is acked or changed.
 *
 * @param bus - a connected JetStream bus
 * @param options - the limit
 * @returns the dead letters
 */
export async function listJetStreamDeadLetters(
  bus: JetStreamBus,
  options: ListDeadLettersOptions = {},
): Promise<StoredDeadLetter[]> {
  const limit = options.limit ?? 100;
  const subject = bus.wireSubject(DEAD_LETTER_SUBJECT);
  const jsm = await jetstreamManager(bus.connection);
  const info = await jsm.streams.info(bus.stream, { subjects_filter: subject });
  const count = Math.min(info.state.subjects?.[subject] ?? 0, limit);
  if (count === 0) return [];

  const consumer = await jetstream(bus.connection).consumers.get(bus.stream, { filter_subjects: subject });
  const letters: StoredDeadLetter[] = [];
  try {
    const batch = await consumer.fetch({ max_messages: count, expires: READ_TIMEOUT_MS });
    for await (const m of batch) {
      letters.push(readStoredDeadLetter(m.seq, m.time, m.data));
      // pending: what the consumer has left after this one.
      if (letters.length >= count || m.info.pending === 0) {
        batch.stop();
        break;
      }
    }
  } finally {
    // An ordered consumer is ephemeral; deleting it now saves the server from holding it until it expires.
    await consumer.delete().catch(() => undefined);
  }
  return letters;
}

/**
 * Publishes the original event of a dead letter again, on its original subject,
 * then deletes the dead letter from the stream: the stream holds the event once
 * more, and if it fails again, a new dead letter is written. The publish carries
 * a message id, so a replay retried within the stream's duplicate window (after
 * a crash between the publish and the delete) is not published twice.
 *
 * Every queue group of the subject gets the event again, not only the one that
 * gave up on it; listeners are idempotent.
 *
 * @param bus - a connected JetStream bus
 * @param seq - the dead letter's sequence in the stream, as {@link listJetStreamDeadLetters} gives it
 * @returns what was replayed
 * @throws Error when there is no dead letter at `seq`, or it holds only part of its payload
 */
export async function replayJetStreamDeadLetter(bus: JetStreamBus, seq: number): Promise<ReplayedDeadLetter> {
  const subject = bus.wireSubject(DEAD_LETTER_SUBJECT);
  const jsm = await jetstreamManager(bus.connection);
  const stored = await jsm.streams.getMessage(bus.stream, { seq });
  if (!stored) throw new Error(`stream ${bus.stream} has no message at sequence ${seq}`);
  if (stored.subject !== subject) {
    throw new Error(`message ${seq} of stream ${bus.stream} is not a dead letter: it is on ${stored.subject}`);
  }
  const letter = parseDeadLetter(stored.data);
  const ack = await jetstream(bus.connection).publish(bus.wireSubject(letter.subject), deadLetterPayload(letter), {
    msgID: `dead-letter-replay:${bus.stream}:${seq}`,
  });
  await jsm.streams.deleteMessage(bus.stream, seq);
  return { seq, letter, publishedSeq: ack.seq, deleted: true };
}
