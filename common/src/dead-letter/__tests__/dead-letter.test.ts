import {
  DEAD_LETTER_MAX_BYTES,
  createDeadLetter,
  deadLetterPayload,
  parseDeadLetter,
  type DeadLetterFields,
} from '../dead-letter';

const fields: DeadLetterFields = {
  subject: 'order:created',
  queueGroup: 'expiration-service',
  service: 'expiration',
  sequence: 7,
  deliveries: 10,
  reason: 'handler failed: boom',
  failedAt: '2030-01-01T00:00:00.000Z',
};

describe('createDeadLetter', () => {
  it('keeps a UTF-8 payload as text, whole', () => {
    const letter = createDeadLetter(fields, Buffer.from('{"title":"Café"}'));

    expect(letter).toEqual({
      ...fields,
      payload: '{"title":"Café"}',
      payloadEncoding: 'utf8',
      payloadBytes: 17,
      truncated: false,
    });
    expect(deadLetterPayload(letter)).toEqual(Buffer.from('{"title":"Café"}'));
  });

  it('keeps a payload that is not valid UTF-8 as base64, so replay gives back the same bytes', () => {
    const raw = Buffer.from([0xff, 0xfe, 0x00, 0x7b]);

    const letter = createDeadLetter(fields, raw);

    expect(letter).toMatchObject({ payload: raw.toString('base64'), payloadEncoding: 'base64', truncated: false });
    expect(deadLetterPayload(letter)).toEqual(raw);
  });

  it.each([
    ['plain text', Buffer.alloc(2 * 1024 * 1024, 'a')],
    ['control characters, which JSON escapes to 6 bytes each', Buffer.alloc(400 * 1024, 0x01)],
    ['binary, kept as base64', Buffer.alloc(1024 * 1024, 0xff)],
  ])('cuts a payload of %s so that the letter fits, and says so', (_case, raw) => {
    const letter = createDeadLetter(fields, raw);
    const size = Buffer.byteLength(JSON.stringify(letter));

    expect(letter.truncated).toBe(true);
    expect(letter.payloadBytes).toBe(raw.length);
    expect(size).toBeLessThanOrEqual(DEAD_LETTER_MAX_BYTES);
    // Cut no further than needed: at least half the room is used.
    expect(size).toBeGreaterThan(DEAD_LETTER_MAX_BYTES / 2);
    expect(() => deadLetterPayload(letter)).toThrow("it can't be replayed");
  });

  it('cuts a very long reason', () => {
    const letter = createDeadLetter({ ...fields, reason: 'x'.repeat(10_000) }, Buffer.from('{}'));

    expect(letter.reason).toHaveLength(4_097);
    expect(letter.reason.endsWith('…')).toBe(true);
  });
});

describe('parseDeadLetter', () => {
  it('reads back what createDeadLetter built, from text or bytes', () => {
    const letter = createDeadLetter(fields, Buffer.from('{}'));

    expect(parseDeadLetter(JSON.stringify(letter))).toEqual(letter);
    expect(parseDeadLetter(Buffer.from(JSON.stringify(letter)))).toEqual(letter);
  });

  it('names what is missing from something that is not a dead letter', () => {
    expect(() => parseDeadLetter('{"subject":"order:created"}')).toThrow(/^not a dead letter: queueGroup: /);
  });
});
