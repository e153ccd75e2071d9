import { eventSchemas, formatIssues, validateEvent } from '../schemas';
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

describe('formatIssues', () => {
  it('writes "path: message" joined by semicolons', () => {
    const line = formatIssues([
      { code: 'custom', path: ['ticket', 'id'], message: 'is bad', input: undefined },
      { code: 'custom', path: [], message: 'is not an object', input: undefined },
    ]);

    expect(line).toBe('ticket.id: is bad; (payload): is not an object');
  });
});
