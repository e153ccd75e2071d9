import { EVENT_ID_RULE, eventSchemas, formatIssues, isEventId, validateEvent } from '../schemas';
import { ALL_SUBJECTS, Subjects } from '../subjects';
import { OrderStatus } from '../types/order-status';

const valid = {
  [Subjects.TicketCreated]: { id: 't1', version: 0, title: 'Concert', price: 20, userId: 'u1' },
  [Subjects.TicketUpdated]: { id: 't1', version: 1, title: 'Concert', price: 25, userId: 'u1', orderId: 'o1' },
  [Subjects.OrderCreated]: {
    id: 'o1',
    version: 0,
    status: OrderStatus.Created,
    userId: 'u1',
    expiresAt: '2030-01-01T10:00:00.000Z',
    ticket: { id: 't1', price: 20 },
  },
  [Subjects.OrderCancelled]: { id: 'o1', version: 1, ticket: { id: 't1' } },
  [Subjects.ExpirationComplete]: { orderId: 'o1' },
  [Subjects.PaymentCreated]: { id: 'p1', orderId: 'o1', stripeId: 'ch_1' },
} as const;

/** For each subject, a required field to drop. */
const requiredField: Record<Subjects, string> = {
  [Subjects.TicketCreated]: 'title',
  [Subjects.TicketUpdated]: 'price',
  [Subjects.OrderCreated]: 'userId',
  [Subjects.OrderCancelled]: 'ticket',
  [Subjects.ExpirationComplete]: 'orderId',
  [Subjects.PaymentCreated]: 'stripeId',
};

function without(payload: object, field: string): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...payload };
  delete copy[field];
  return copy;
}

describe('eventSchemas', () => {
  it('has a schema for every subject', () => {
    expect(Object.keys(eventSchemas).sort()).toEqual([...ALL_SUBJECTS].sort());
  });
});

describe('validateEvent', () => {
  it.each(ALL_SUBJECTS)('accepts a well-formed %s payload and returns its data', (subject) => {
    const result = validateEvent(subject, valid[subject]);

    expect(result).toEqual({ ok: true, data: valid[subject] });
  });

  it.each(ALL_SUBJECTS)('rejects a %s payload with a required field missing, naming the field', (subject) => {
    const field = requiredField[subject];

    const result = validateEvent(subject, without(valid[subject], field));

    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(new RegExp(`^${field}: `));
  });

  it.each(ALL_SUBJECTS)('rejects a %s payload that is not an object', (subject) => {
    const result = validateEvent(subject, 'hello');

    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^\(payload\): /);
  });

  it('accepts a ticket:updated without orderId, since a free ticket has none', () => {
    const result = validateEvent(Subjects.TicketUpdated, without(valid[Subjects.TicketUpdated], 'orderId'));

    expect(result.ok).toBe(true);
  });

  it('drops fields the schema does not know', () => {
    const result = validateEvent(Subjects.ExpirationComplete, { orderId: 'o1', extra: true });

    expect(result).toEqual({ ok: true, data: { orderId: 'o1' } });
  });

  it.each(['tomorrow', '2030-13-01T10:00:00Z', '2030-01-01', '', 1893492000000])(
    'rejects an order:created whose expiresAt is not an ISO date-time (%p)',
    (expiresAt) => {
      const result = validateEvent(Subjects.OrderCreated, { ...valid[Subjects.OrderCreated], expiresAt });

      expect(result.ok).toBe(false);
      expect(!result.ok && result.reason).toMatch(/^expiresAt: /);
    },
  );

  it('accepts an expiresAt with a time-zone offset', () => {
    const result = validateEvent(Subjects.OrderCreated, {
      ...valid[Subjects.OrderCreated],
      expiresAt: '2030-01-01T12:00:00+02:00',
    });

    expect(result.ok).toBe(true);
  });

  it('accepts every order status', () => {
    for (const status of Object.values(OrderStatus)) {
      expect(validateEvent(Subjects.OrderCreated, { ...valid[Subjects.OrderCreated], status }).ok).toBe(true);
    }
  });

  it('rejects an order:created with an unknown status', () => {
    const result = validateEvent(Subjects.OrderCreated, { ...valid[Subjects.OrderCreated], status: 'shipped' });

    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(/^status: /);
  });

  it('rejects wrong types: a string version, a negative price, an empty id', () => {
    expect(validateEvent(Subjects.TicketCreated, { ...valid[Subjects.TicketCreated], version: '1' }).ok).toBe(false);
    expect(validateEvent(Subjects.TicketCreated, { ...valid[Subjects.TicketCreated], price: -1 }).ok).toBe(false);
    expect(validateEvent(Subjects.ExpirationComplete, { orderId: '' }).ok).toBe(false);
  });

  it.each([
    ['a MongoDB ObjectId', '507f1f77bcf86cd799439011'],
    ['a UUID', '123e4567-e89b-12d3-a456-426614174000'],
    ['a short id', 'o1'],
    ['underscores', 'order_1'],
    ['64 characters', 'a'.repeat(64)],
  ])('accepts %s as an id', (_label, orderId) => {
    expect(validateEvent(Subjects.ExpirationComplete, { orderId })).toEqual({ ok: true, data: { orderId } });
  });

  it.each([
    ['empty', ''],
    ['65 characters', 'a'.repeat(65)],
    ['a colon, which could reach another Redis key', 'o1:lock'],
    ['a space', 'o 1'],
    ['braces, a Redis Cluster hash tag', '{o1}'],
    ['a glob', 'o*'],
    ['a slash', '../o1'],
    ['a newline', 'o1\n'],
    ['non-ASCII letters', 'ordér'],
  ])('rejects an id with %s, naming the rule', (_label, orderId) => {
    const result = validateEvent(Subjects.ExpirationComplete, { orderId });

    expect(result).toEqual({ ok: false, reason: `orderId: ${EVENT_ID_RULE}` });
  });

  it('applies the id rule to every id of every event: id, orderId, userId, ticket.id', () => {
    const hostile = 'x:wait';
    const cases: Array<[Subjects, Record<string, unknown>, string]> = [
      [Subjects.TicketCreated, { ...valid[Subjects.TicketCreated], id: hostile }, 'id'],
      [Subjects.TicketCreated, { ...valid[Subjects.TicketCreated], userId: hostile }, 'userId'],
      [Subjects.TicketUpdated, { ...valid[Subjects.TicketUpdated], orderId: hostile }, 'orderId'],
      [Subjects.OrderCreated, { ...valid[Subjects.OrderCreated], id: hostile }, 'id'],
      [Subjects.OrderCreated, { ...valid[Subjects.OrderCreated], userId: hostile }, 'userId'],
      [Subjects.OrderCreated, { ...valid[Subjects.OrderCreated], ticket: { id: hostile, price: 20 } }, 'ticket.id'],
      [Subjects.OrderCancelled, { ...valid[Subjects.OrderCancelled], id: hostile }, 'id'],
      [Subjects.OrderCancelled, { ...valid[Subjects.OrderCancelled], ticket: { id: hostile } }, 'ticket.id'],
      [Subjects.ExpirationComplete, { orderId: hostile }, 'orderId'],
      [Subjects.PaymentCreated, { ...valid[Subjects.PaymentCreated], id: hostile }, 'id'],
      [Subjects.PaymentCreated, { ...valid[Subjects.PaymentCreated], orderId: hostile }, 'orderId'],
    ];

    for (const [subject, payload, field] of cases) {
      expect(validateEvent(subject, payload)).toEqual({ ok: false, reason: `${field}: ${EVENT_ID_RULE}` });
    }
  });

  it("keeps stripeId to Stripe's own format: any non-empty string of at most 255 characters", () => {
    const payment = valid[Subjects.PaymentCreated];

    expect(validateEvent(Subjects.PaymentCreated, { ...payment, stripeId: 'pi_3N:x/y z' }).ok).toBe(true);
    expect(validateEvent(Subjects.PaymentCreated, { ...payment, stripeId: 'x'.repeat(255) }).ok).toBe(true);
    expect(validateEvent(Subjects.PaymentCreated, { ...payment, stripeId: 'x'.repeat(256) })).toEqual({
      ok: false,
      reason: 'stripeId: must be at most 255 characters',
    });
    expect(validateEvent(Subjects.PaymentCreated, { ...payment, stripeId: '' }).ok).toBe(false);
  });

  it('names every bad field in one reason, nested ones with their path', () => {
    const result = validateEvent(Subjects.OrderCreated, {
      id: 'o1',
      version: 0,
      status: 'shipped',
      expiresAt: 'soon',
      ticket: { id: 't1', price: 'free' },
    });

    expect(result.ok).toBe(false);
    const reason = result.ok ? '' : result.reason;
    expect(reason.split('; ').map((part) => part.split(':')[0])).toEqual(
      expect.arrayContaining(['status', 'userId', 'expiresAt', 'ticket.price']),
    );
    expect(reason.split('; ')).toHaveLength(4);
  });
});

describe('isEventId', () => {
  it('accepts the ids events carry and refuses anything else', () => {
    expect(isEventId('507f1f77bcf86cd799439011')).toBe(true);
    expect(isEventId('wait')).toBe(true);
    expect(isEventId('o1:lock')).toBe(false);
    expect(isEventId('')).toBe(false);
    expect(isEventId(42)).toBe(false);
    expect(isEventId(undefined)).toBe(false);
  });
});

describe('formatIssues', () => {
  it('writes "path: message" joined by semicolons', () => {
    const line = formatIssues([
      { code: 'custom', path: ['ticket', 'id'], message: 'is bad', input: undefined },
      { code: 'custom', path: [], message: 'is not an object', input: undefined },
    ]);

    expect(line).toBe('ticket.id: is bad; (payload): is not an object');
  });
});
