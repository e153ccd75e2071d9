import { isUtf8 } from 'node:buffer';
import { z } from 'zod';

/**
 * The subject of dead letters: the messages listeners gave up on. It is not one
 * of the {@link Subjects} events; on JetStream it lives in the same stream as
 * they do, under the same subject prefix.
 */
export const DEAD_LETTER_SUBJECT = 'dead-letter';

/**
 * The most a dead letter weighs once serialized. JetStream refuses messages over
 * its `max_payload`, 1 MiB by default, headers included; this leaves room for them.
 */
export const DEAD_LETTER_MAX_BYTES = 900 * 1024;

/** A reason longer than this is cut: a schema error lists every bad field, and it has to fit too. */
const MAX_REASON_CHARS = 4_096;

/** A message a listener gave up on, as published on {@link DEAD_LETTER_SUBJECT}. */
export interface DeadLetter {
  /** The logical subject it was delivered on, such as `order:created`. */
  subject: string;
  /** The queue group (and durable) that gave up on it. */
  queueGroup: string;
  /** The service that gave up on it. */
  service: string;
  /** Its sequence on its subject's channel (NATS Streaming) or in the stream (JetStream). */
  sequence: number;
  /** How many times it had been delivered, the last delivery included. */
  deliveries: number;
  /** Why: the handler's error, or what is wrong with the payload. */
  reason: string;
  /** The original payload: UTF-8 text, or base64 when it was not valid UTF-8 (see `payloadEncoding`). */
  payload: string;
  /** How `payload` is written. */
  payloadEncoding: 'utf8' | 'base64';
  /** The size of the original payload, in bytes. */
  payloadBytes: number;
  /** True when `payload` holds only the start of the original, which was too large to keep whole. */
  truncated: boolean;
  /** When the listener gave up, ISO 8601. */
  failedAt: string;
}

/** What a dead letter is built from. */
export type DeadLetterFields = Omit<DeadLetter, 'payload' | 'payloadEncoding' | 'payloadBytes' | 'truncated'>;

/**
 * Builds the dead letter of a message. The payload is kept as text when it is
 * valid UTF-8 and as base64 otherwise, and cut (with `truncated` set) when the
 * letter would not fit in {@link DEAD_LETTER_MAX_BYTES}.
 *
 * @param fields - where it came from and why it failed
 * @param raw - the original payload
 * @returns the letter, whose JSON fits in {@link DEAD_LETTER_MAX_BYTES}
 */
export function createDeadLetter(fields: DeadLetterFields, raw: Buffer): DeadLetter {
  const reason =
    fields.reason.length > MAX_REASON_CHARS ? `${fields.reason.slice(0, MAX_REASON_CHARS)}…` : fields.reason;
  const payloadEncoding = isUtf8(raw) ? 'utf8' : 'base64';
  const encoded = raw.toString(payloadEncoding);
  const letter: DeadLetter = {
    ...fields,
    reason,
    payload: '',
    payloadEncoding,
    payloadBytes: raw.length,
    truncated: false,
  };
  const room = DEAD_LETTER_MAX_BYTES - Buffer.byteLength(JSON.stringify({ ...letter, truncated: true }));
  // JSON escaping can make text longer (a control character takes 6 bytes) and
  // UTF-8 takes up to 4 bytes a character, so measure the escaped payload and
  // cut it in proportion until it fits.
  let kept = encoded.length;
  for (let size = escapedBytes(encoded); size > room && kept > 0; size = escapedBytes(encoded.slice(0, kept))) {
    kept = Math.max(0, Math.min(kept - 1, Math.floor((kept * room) / size)));
  }
  return { ...letter, payload: encoded.slice(0, kept), truncated: kept < encoded.length };
}

/** The bytes `text` takes inside a JSON document, without its quotes. */
function escapedBytes(text: string): number {
  return Buffer.byteLength(JSON.stringify(text)) - 2;
}

const deadLetterSchema = z.object({
  subject: z.string(),
  queueGroup: z.string(),
  service: z.string(),
  sequence: z.number(),
  deliveries: z.number(),
  reason: z.string(),
  payload: z.string(),
  payloadEncoding: z.enum(['utf8', 'base64']),
  payloadBytes: z.number(),
  truncated: z.boolean(),
  failedAt: z.string(),
});

/**
 * Reads a dead letter back.
 *
 * @param data - the message published on {@link DEAD_LETTER_SUBJECT}
 * @returns the letter
 * @throws Error when `data` is not a dead letter
 */
export function parseDeadLetter(data: string | Uint8Array): DeadLetter {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('utf8');
  const result = deadLetterSchema.safeParse(JSON.parse(text));
  if (!result.success) {
    throw new Error(
      `not a dead letter: ${result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return result.data;
}

/**
 * The original payload of a dead letter, to publish it again.
 *
 * @param letter - a dead letter
 * @returns the payload's bytes
 * @throws Error when the letter holds only part of the payload
 */
export function deadLetterPayload(letter: DeadLetter): Buffer {
  if (letter.truncated) {
    throw new Error(
      `the dead letter keeps only the first part of its ${letter.payloadBytes}-byte payload; it can't be replayed`,
    );
  }
  return Buffer.from(letter.payload, letter.payloadEncoding);
}
