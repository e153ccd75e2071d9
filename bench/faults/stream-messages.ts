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

/**
 * Reads the bus's stream's `duplicate_window` (JetStream API `STREAM.INFO`):
 * how long the stream remembers a message id, so that a publish repeated with
 * the same id within it is dropped.
 *
 * @param bus - a connected bus
 * @returns milliseconds
 * @throws Error when the stream can't be read
 */
export async function duplicateWindowMs(bus: JetStreamBus): Promise<number> {
  const reply = await bus.connection.request(`$JS.API.STREAM.INFO.${bus.stream}`, undefined, { timeout: 10_000 });
  const body = reply.json<{ config?: { duplicate_window?: number } } & ApiError>();
  if (typeof body.config?.duplicate_window !== 'number') {
    throw new Error(`could not read the stream ${bus.stream}: ${body.error?.description ?? reply.string()}`);
  }
  // Nanoseconds on the wire.
  return body.config.duplicate_window / 1e6;
}
