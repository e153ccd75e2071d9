import { FakeEventBus, FakeMessage } from '../../testing';
import { captureLogs } from '../../testing/capture-logs';
import type { EventMessage } from '../../bus/event-bus';
import { DEAD_LETTER_SUBJECT } from '../../dead-letter/dead-letter';
import { CORRELATION_ID_HEADER, correlationIdOf, isCorrelationId } from '../correlation';
import type { ExpirationCompleteEvent } from '../expiration-complete-event';
import { Listener } from '../listener';
import { Publisher } from '../publisher';
import { Subjects } from '../subjects';

class ExpirationCompletePublisher extends Publisher<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
}

class FailingListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  queueGroupName = 'correlation-test';
  onMessage(_data: ExpirationCompleteEvent['data'], _msg: EventMessage): void {
    throw new Error('database is down');
  }
}

const withId = (id: string) => ({ headers: { [CORRELATION_ID_HEADER]: id } });

describe('correlation ids', () => {
  it('the header is Ticketing-Correlation-Id', () => {
    expect(CORRELATION_ID_HEADER).toBe('Ticketing-Correlation-Id');
  });

  describe('correlationIdOf', () => {
    it('reads the header of a message, ignoring the case of its name', () => {
      const msg = new FakeMessage(
        Subjects.ExpirationComplete,
        {},
        { headers: { 'ticketing-correlation-id': 'req-1' } },
      );

      expect(correlationIdOf(msg)).toBe('req-1');
    });

    it('is undefined for a message without the header', () => {
      expect(correlationIdOf(new FakeMessage(Subjects.ExpirationComplete, {}))).toBeUndefined();
    });

    it.each([
      ['an empty value', ''],
      ['a value with a space', 'req 1'],
      ['a value over 128 characters', 'r'.repeat(129)],
      ['a value with a non-ASCII character', 'réq-1'],
    ])('is undefined for %s', (_case, value) => {
      const msg = new FakeMessage(Subjects.ExpirationComplete, {}, withId(value));

      expect(correlationIdOf(msg)).toBeUndefined();
    });
  });

  it('isCorrelationId accepts 1 to 128 visible ASCII characters', () => {
    expect(isCorrelationId('0b4f1c2e-7d8a-4f3b-9c1d-2e3f4a5b6c7d')).toBe(true);
    expect(isCorrelationId('r'.repeat(128))).toBe(true);
    expect(isCorrelationId('a\r\nb')).toBe(false);
    expect(isCorrelationId(42)).toBe(false);
  });

  describe('Publisher.publish with a correlation id', () => {
    it('sends it in the header, which the fake bus records', async () => {
      const bus = new FakeEventBus();

      await new ExpirationCompletePublisher(bus).publish({ orderId: 'o1' }, { correlationId: 'req-1' });

      expect(bus.published).toEqual([
        {
          subject: Subjects.ExpirationComplete,
          data: { orderId: 'o1' },
          msgId: undefined,
          headers: { [CORRELATION_ID_HEADER]: 'req-1' },
        },
      ]);
    });

    it('without one, publishes no headers at all', async () => {
      const bus = new FakeEventBus();

      await new ExpirationCompletePublisher(bus).publish({ orderId: 'o1' });

      expect(bus.published[0]).not.toHaveProperty('headers');
    });

    it('leaves out an id that is not usable, and still publishes the event', async () => {
      const bus = new FakeEventBus();

      await new ExpirationCompletePublisher(bus).publish({ orderId: 'o1' }, { correlationId: 'a\r\nInjected: 1' });

      expect(bus.publishedOn(Subjects.ExpirationComplete)).toEqual([{ orderId: 'o1' }]);
      expect(bus.published[0]).not.toHaveProperty('headers');
    });
  });

  describe('a listener', () => {
    it('names the correlation id in the log line of a failed message', async () => {
      const bus = new FakeEventBus();
      const { logger, lines } = captureLogs('correlation-test');

      await bus.deliver(new FailingListener(bus, { logger }), { orderId: 'o1' }, withId('req-7'));

      expect(lines.find((l) => l.level === 'error')).toMatchObject({
        msg: 'handler failed; the message will be redelivered',
        correlationId: 'req-7',
      });
    });

    it('publishes a dead letter with the correlation id of its message, and logs it', async () => {
      const bus = new FakeEventBus();
      const { logger, lines } = captureLogs('correlation-test');

      await bus.deliver(new FailingListener(bus, { logger, maxDeliveries: 1 }), { orderId: 'o1' }, withId('req-8'));

      expect(bus.published).toEqual([
        expect.objectContaining({ subject: DEAD_LETTER_SUBJECT, headers: { [CORRELATION_ID_HEADER]: 'req-8' } }),
      ]);
      expect(lines.find((l) => l.msg === 'event dead-lettered')).toMatchObject({ correlationId: 'req-8' });
    });

    it('writes no correlationId field for a message without one', async () => {
      const bus = new FakeEventBus();
      const { logger, lines } = captureLogs('correlation-test');

      await bus.deliver(new FailingListener(bus, { logger }), { orderId: 'o1' });

      expect(lines.find((l) => l.level === 'error')).not.toHaveProperty('correlationId');
    });
  });

  it('FakeEventBus.emit delivers the headers it is given', async () => {
    const bus = new FakeEventBus();
    const seen: (string | undefined)[] = [];
    await bus.subscribe(
      { subject: Subjects.ExpirationComplete, queueGroupName: 'g', ackWait: 1000, maxInFlight: 1 },
      async (msg) => void seen.push(correlationIdOf(msg)),
    );

    await bus.emit(Subjects.ExpirationComplete, { orderId: 'o1' }, withId('req-9'));

    expect(seen).toEqual(['req-9']);
  });
});
