import { z } from 'zod';
import { Subjects } from './subjects';
import { OrderStatus } from './types/order-status';
import type { TicketCreatedEvent } from './ticket-created-event';
import type { TicketUpdatedEvent } from './ticket-updated-event';
import type { OrderCreatedEvent } from './order-created-event';
import type { OrderCancelledEvent } from './order-cancelled-event';
import type { ExpirationCompleteEvent } from './expiration-complete-event';
import type { PaymentCreatedEvent } from './payment-created-event';

/**
 * The format of every id an event carries (order, ticket, user, payment):
 * letters, digits, `_` and `-`, 1 to 64 characters. MongoDB ObjectIds (24
 * hex digits) and UUIDs pass. Services put ids in Redis keys, job ids and
 * log lines, so an id never carries a separator (`:`), a glob (`*`), a path
 * (`/`), a hash tag (`{}`) or white space. The format alone does not make an
 * id safe as a key (`wait` passes): a service still puts its own namespace in
 * front of it.
 */
export const EVENT_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The message of an id that breaks {@link EVENT_ID_PATTERN}. */
export const EVENT_ID_RULE = 'must be 1 to 64 letters, digits, "_" or "-"';

/**
 * Whether a value is an id an event may carry.
 *
 * @param value - anything
 * @returns true when it is a string matching {@link EVENT_ID_PATTERN}
 */
export function isEventId(value: unknown): value is string {
  return typeof value === 'string' && EVENT_ID_PATTERN.test(value);
}

/** The longest Stripe id accepted: Stripe says the ids it generates never exceed 255 characters. */
export const STRIPE_ID_MAX_LENGTH = 255;

const id = z.string().regex(EVENT_ID_PATTERN, EVENT_ID_RULE);
// Stripe's own ids (ch_…, pi_…): not ours to constrain beyond a bound, and no
// service uses them as a key.
const stripeId = z
  .string()
  .min(1, 'must be a non-empty string')
  .max(STRIPE_ID_MAX_LENGTH, `must be at most ${STRIPE_ID_MAX_LENGTH} characters`);
const version = z.number().int().nonnegative();
const price = z.number().finite().nonnegative();

const ticketCreated = z.object({
  id,
  version,
  title: z.string().min(1),
  price,
  userId: id,
}) satisfies z.ZodType<TicketCreatedEvent['data']>;

const ticketUpdated = ticketCreated.extend({
  orderId: id.optional(),
}) satisfies z.ZodType<TicketUpdatedEvent['data']>;

const orderCreated = z.object({
  id,
  version,
  status: z.enum(OrderStatus),
  userId: id,
  // Offsets are allowed because Date#toISOString is not the only producer.
  expiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time' }),
  ticket: z.object({ id, price }),
}) satisfies z.ZodType<OrderCreatedEvent['data']>;

const orderCancelled = z.object({
  id,
  version,
  ticket: z.object({ id }),
}) satisfies z.ZodType<OrderCancelledEvent['data']>;

const expirationComplete = z.object({
  orderId: id,
}) satisfies z.ZodType<ExpirationCompleteEvent['data']>;

const paymentCreated = z.object({
  id,
  orderId: id,
  stripeId,
}) satisfies z.ZodType<PaymentCreatedEvent['data']>;

/**
 * The runtime schema of each subject's payload. A listener validates every
 * message against it before `onMessage` sees it, and a publisher validates what
 * it sends, so a malformed event is caught at both ends.
 */
export const eventSchemas = {
  [Subjects.TicketCreated]: ticketCreated,
  [Subjects.TicketUpdated]: ticketUpdated,
  [Subjects.OrderCreated]: orderCreated,
  [Subjects.OrderCancelled]: orderCancelled,
  [Subjects.ExpirationComplete]: expirationComplete,
  [Subjects.PaymentCreated]: paymentCreated,
} as const satisfies Record<Subjects, z.ZodType>;

/** The outcome of {@link validateEvent}. */
export type EventValidation<T> = { ok: true; data: T } | { ok: false; reason: string };

/**
 * Checks a decoded payload against the schema of its subject.
 *
 * @param subject - the subject the payload was sent on
 * @param payload - the decoded JSON
 * @returns the typed data, or a one-line reason naming every bad field
 */
export function validateEvent<S extends Subjects>(
  subject: S,
  payload: unknown,
): EventValidation<z.output<(typeof eventSchemas)[S]>> {
  const schema: z.ZodType = eventSchemas[subject];
  const result = schema.safeParse(payload);
  if (result.success) {
    return { ok: true, data: result.data as z.output<(typeof eventSchemas)[S]> };
  }
  return { ok: false, reason: formatIssues(result.error.issues) };
}

/**
 * Formats zod issues as `field: problem; other.field: problem`.
 *
 * @param issues - the issues of a failed parse
 * @returns one line, suitable for a log field or an error message
 */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(payload)'}: ${issue.message}`)
    .join('; ');
}
