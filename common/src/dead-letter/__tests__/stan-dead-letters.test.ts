/**
 * Listing and replaying dead letters on NATS Streaming, against the fake
 * node-nats-streaming client, which plays back what was published as a server
 * would (no NATS Streaming server exists on this machine).
 */
import { FakeStan } from '../../__tests__/helpers/fake-stan';
import { FakeEventBus } from '../../testing';
import { StanBus } from '../../bus/stan-bus';
import { Subjects } from '../../events/subjects';
import { createDeadLetter, DEAD_LETTER_SUBJECT, type DeadLetterFields } from '../dead-letter';
import { listDeadLetters, replayDeadLetter } from '../dead-letters';

const fields: DeadLetterFields = {
  subject: Subjects.OrderCreated,
  queueGroup: 'expiration-service',
  service: 'expiration',
  sequence: 40,
  deliveries: 10,
  reason: 'handler failed: redis is down',
  failedAt: '2030-01-01T00:00:00.000Z',
};

function setup(...payloads: string[]) {
  const stan = new FakeStan();
  stan.playBack = true;
  for (const [i, payload] of payloads.entries()) {
    const letter = createDeadLetter({ ...fields, sequence: 40 + i }, Buffer.from(payload));
    stan.published.push({ subject: DEAD_LETTER_SUBJECT, data: JSON.stringify(letter) });
  }
  return { stan, bus: new StanBus(stan.asStan()) };
}

describe('listDeadLetters on NATS Streaming', () => {
  it('reads the dead-letter channel from its start, up to the last message, with subscriptions it removes', async () => {
    const { stan, bus } = setup('{"id":"a"}', '{"id":"b"}', '{"id":"c"}');

    const letters = await listDeadLetters(bus, { quietMs: 5_000 });

    expect(letters.map((l) => [l.seq, 'letter' in l && l.letter.payload])).toEqual([
      [1, '{"id":"a"}'],
      [2, '{"id":"b"}'],
      [3, '{"id":"c"}'],
    ]);
    expect(stan.subscribeCalls.map((c) => [c.subject, c.queueGroup, c.options.set])).toEqual([
      [DEAD_LETTER_SUBJECT, undefined, { startWithLastReceived: true }],
      [DEAD_LETTER_SUBJECT, undefined, { deliverAllAvailable: true }],
    ]);
    expect(stan.subscribeCalls.every((c) => c.subscription.unsubscribe.mock.calls.length === 1)).toBe(true);
  });

  it('stops at the limit', async () => {
    const { bus } = setup('1', '2', '3');

    const letters = await listDeadLetters(bus, { limit: 2, quietMs: 5_000 });

    expect(letters.map((l) => l.seq)).toEqual([1, 2]);
  });

  it('is empty for an empty channel once the server stays quiet', async () => {
    const { bus } = setup();

    expect(await listDeadLetters(bus, { quietMs: 20 })).toEqual([]);
  });
});

describe('replayDeadLetter on NATS Streaming', () => {
  it('publishes the original payload again on its subject, and keeps the dead letter', async () => {
    const { stan, bus } = setup('{"id":"a"}', '{"id":"b"}');

    const replayed = await replayDeadLetter(bus, 2);

    expect(replayed).toEqual({ seq: 2, letter: expect.objectContaining({ sequence: 41 }), deleted: false });
    expect(stan.subscribeCalls[0].options.set).toEqual({ startAtSequence: 2 });
    expect(stan.published.slice(2)).toEqual([{ subject: Subjects.OrderCreated, data: Buffer.from('{"id":"b"}') }]);
    expect(stan.channel(DEAD_LETTER_SUBJECT)).toHaveLength(2);
  });

  it('refuses a sequence past the end of the channel', async () => {
    const { bus } = setup('{"id":"a"}');

    await expect(replayDeadLetter(bus, 5)).rejects.toThrow('the dead-letter channel has no message at sequence 5');
  });
});

describe('dead letters on another kind of bus', () => {
  it('can be neither listed nor replayed', async () => {
    const bus = new FakeEventBus();

    await expect(listDeadLetters(bus)).rejects.toThrow("dead letters can't be read from a memory bus");
    await expect(replayDeadLetter(bus, 1)).rejects.toThrow("dead letters can't be replayed on a memory bus");
  });
});
