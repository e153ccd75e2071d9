import type { Message as StanMessage, Subscription } from 'node-nats-streaming';
import { DEAD_LETTER_SUBJECT, deadLetterPayload, parseDeadLetter } from './dead-letter';
import {
  readStoredDeadLetter,
  type ListDeadLettersOptions,
  type ReplayedDeadLetter,
  type StoredDeadLetter,
} from './stored-dead-letter';
import type { StanBus } from '../bus/stan-bus';

/**
 * Reads the dead-letter channel of NATS Streaming from its start, oldest first,
 * with non-durable subscriptions that leave nothing behind. NATS Streaming
 * can't say how many messages a channel holds, so the last one is read first
 * (start with last received), then the channel from the start up to it; an
 * empty channel is recognised by `quietMs` without an answer.
 *
 * @param bus - a connected NATS Streaming bus
 * @param options - the limit, and how long to wait for an answer
 * @returns the dead letters
 */
export async function listStanDeadLetters(
  bus: StanBus,
  options: ListDeadLettersOptions = {},
): Promise<StoredDeadLetter[]> {
  const { limit = 100, quietMs = 2_000 } = options;
  const client = bus.client;
  const [last] = await read(bus, client.subscriptionOptions().setStartWithLastReceived(), () => true, quietMs);
  if (!last) return [];
  const lastSeq = last.getSequence();
  const messages = await read(
    bus,
    client.subscriptionOptions().setDeliverAllAvailable(),
    (m, count) => count >= limit || m.getSequence() >= lastSeq,
    quietMs,
  );
  return messages.map((m) => readStoredDeadLetter(m.getSequence(), m.getTimestamp(), m.getRawData()));
}

/**
 * Publishes the original event of a dead letter again, on its original subject.
 * NATS Streaming can't delete a message: the dead letter stays on its channel,
 * and replaying it again publishes the event again. Every queue group of the
 * subject gets it, not only the one that gave up on it; listeners are idempotent.
 *
 * @param bus - a connected NATS Streaming bus
 * @param seq - the dead letter's sequence on the dead-letter channel
 * @param quietMs - how long to wait for the server
 * @returns what was replayed
 * @throws Error when the channel has no dead letter at `seq`, or it holds only part of its payload
 */
export async function replayStanDeadLetter(bus: StanBus, seq: number, quietMs = 2_000): Promise<ReplayedDeadLetter> {
  const [stored] = await read(bus, bus.client.subscriptionOptions().setStartAtSequence(seq), () => true, quietMs);
  if (!stored || stored.getSequence() !== seq) {
    throw new Error(`the ${DEAD_LETTER_SUBJECT} channel has no message at sequence ${seq}`);
  }
  const letter = parseDeadLetter(stored.getRawData());
  const payload = deadLetterPayload(letter);
  await new Promise<void>((resolve, reject) => {
    bus.client.publish(letter.subject, payload, (err) => (err ? reject(err) : resolve()));
  });
  return { seq, letter, deleted: false };
}

type StanSubscriptionOptions = ReturnType<StanBus['client']['subscriptionOptions']>;

/**
 * Reads the dead-letter channel with a non-durable subscription until `done`
 * says so, or nothing came for `quietMs`; then unsubscribes.
 */
async function read(
  bus: StanBus,
  options: StanSubscriptionOptions,
  done: (msg: StanMessage, count: number) => boolean,
  quietMs: number,
): Promise<StanMessage[]> {
  const subscription: Subscription = bus.client.subscribe(DEAD_LETTER_SUBJECT, options);
  const messages: StanMessage[] = [];
  let finished = false;
  try {
    await new Promise<void>((resolve, reject) => {
      const finish = (err?: Error) => {
        finished = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      let timer = setTimeout(finish, quietMs);
      subscription.on('error', finish);
      subscription.on('message', (msg: StanMessage) => {
        // The server may send more before the unsubscribe reaches it.
        if (finished) return;
        messages.push(msg);
        if (done(msg, messages.length)) {
          finish();
        } else {
          clearTimeout(timer);
          timer = setTimeout(finish, quietMs);
        }
      });
    });
  } finally {
    subscription.unsubscribe();
  }
  return messages;
}
