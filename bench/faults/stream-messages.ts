import type { JetStreamBus } from '@grider-ms-tickets/common';

/** A message stored in a stream. */
export interface StoredMessage {
  seq: number;
  /** Its payload, as text. */
  data: string;
}

interface ApiError {
  error?: { description?: string };
}

/**
 * Reads the last message the bus's stream holds on a subject (JetStream API
 * `STREAM.MSG.GET` with `last_by_subj`).
 *
 * @param bus - a connected bus
 * @param subject - the logical subject, such as `order:created`
 * @returns the message
 * @throws Error when there is none
 */
export async function lastMessageOn(bus: JetStreamBus, subject: string): Promise<StoredMessage> {
  const reply = await bus.connection.request(
    `$JS.API.STREAM.MSG.GET.${bus.stream}`,
    JSON.stringify({ last_by_subj: bus.wireSubject(subject) }),
    { timeout: 10_000 },
  );
  const body = reply.json<{ message?: { seq: number; data?: string } } & ApiError>();
  if (!body.message) {
    throw new Error(`stream ${bus.stream} has no message on ${subject}: ${body.error?.description ?? reply.string()}`);
  }
  return { seq: body.message.seq, data: Buffer.from(body.message.data ?? '', 'base64').toString('utf8') };
}

/**
 * Deletes one message from the bus's stream (JetStream API `STREAM.MSG.DELETE`),
 * as a stream that lost it would: consumers that have not had it yet never get it.
 *
 * @param bus - a connected bus
 * @param seq - its stream sequence
 */
export async function deleteStoredMessage(bus: JetStreamBus, seq: number): Promise<void> {
  const reply = await bus.connection.request(
    `$JS.API.STREAM.MSG.DELETE.${bus.stream}`,
    JSON.stringify({ seq, no_erase: true }),
    { timeout: 10_000 },
  );
  const body = reply.json<{ success?: boolean } & ApiError>();
  if (!body.success) {
    throw new Error(`could not delete message ${seq} of ${bus.stream}: ${body.error?.description ?? reply.string()}`);
  }
}
