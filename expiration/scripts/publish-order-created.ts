/**
 * Publishes one order:created over NATS JetStream whose expiresAt is N seconds
 * ahead (or behind, with a negative N), and waits for the matching
 * expiration:complete, printing how late it came. For trying the expiration
 * service by hand; see expiration/README.md.
 *
 *   npm run publish-order -w expiration -- --in 5
 *   npm run publish-order -w expiration -- --in 30 --no-wait
 *
 * Env: NATS_URL (default nats://127.0.0.1:4222), NATS_STREAM (default
 * ticketing), NATS_SUBJECT_PREFIX (default none): the same values the service runs with.
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import {
  JetStreamBus,
  Listener,
  OrderStatus,
  Publisher,
  Subjects,
  createLogger,
  durableName,
  type EventMessage,
  type ExpirationCompleteEvent,
  type OrderCreatedEvent,
} from '@grider-ms-tickets/common';

const USAGE = `usage: publish-order-created [--in SECONDS] [--id ORDER_ID] [--no-wait] [--timeout SECONDS]
  --in       expiresAt is this many seconds from now (default 5; negative for the past)
  --id       the order id (default: a random 24-hex id)
  --no-wait  publish and exit, without waiting for expiration:complete
  --timeout  how long to wait for expiration:complete after expiresAt (default 30)`;

class OrderCreatedPublisher extends Publisher<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
}

/** Resolves when the expiration:complete of one order arrives. */
class ExpirationWatcher extends Listener<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;
  readonly queueGroupName: string;
  readonly arrived: Promise<Date>;
  private resolveArrived!: (at: Date) => void;

  constructor(
    bus: JetStreamBus,
    private readonly orderId: string,
  ) {
    super(bus, { logger: createLogger({ name: 'publish-order-created', level: 'warn' }) });
    this.queueGroupName = `try-it-${orderId}`;
    this.arrived = new Promise((resolve) => {
      this.resolveArrived = resolve;
    });
  }

  onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): void {
    if (data.orderId === this.orderId) this.resolveArrived(new Date());
    msg.ack();
  }
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      in: { type: 'string', default: '5' },
      id: { type: 'string' },
      'no-wait': { type: 'boolean', default: false },
      timeout: { type: 'string', default: '30' },
      help: { type: 'boolean', default: false },
    },
  });
  const seconds = Number(values.in);
  const timeoutSeconds = Number(values.timeout);
  if (values.help || !Number.isFinite(seconds) || !Number.isFinite(timeoutSeconds)) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }

  const url = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';
  const stream = process.env.NATS_STREAM ?? 'ticketing';
  const subjectPrefix = process.env.NATS_SUBJECT_PREFIX || undefined;
  const bus = await JetStreamBus.connect({
    url: url.replace(/^http:/, 'nats:'),
    stream,
    subjectPrefix,
    name: 'publish-order-created',
    logger: createLogger({ name: 'publish-order-created', level: 'warn' }),
  });

  const orderId = values.id ?? randomBytes(12).toString('hex');
  const watcher = values['no-wait'] ? undefined : new ExpirationWatcher(bus, orderId);
  try {
    // Subscribe before publishing, so the answer can't be missed.
    await watcher?.listen();
    const expiresAt = new Date(Date.now() + seconds * 1000);
    await new OrderCreatedPublisher(bus).publish({
      id: orderId,
      version: 0,
      status: OrderStatus.Created,
      userId: 'try-it-user',
      expiresAt: expiresAt.toISOString(),
      ticket: { id: randomBytes(12).toString('hex'), price: 10 },
    });
    console.log(`published order:created ${orderId} expiresAt=${expiresAt.toISOString()} (in ${seconds}s)`);
    if (!watcher) return 0;

    console.log('waiting for expiration:complete ...');
    const waitMs = Math.max(0, expiresAt.getTime() - Date.now()) + timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const arrivedAt = await Promise.race([
      watcher.arrived,
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), waitMs);
      }),
    ]);
    clearTimeout(timer);
    if (!arrivedAt) {
      console.error(`no expiration:complete for ${orderId} within ${timeoutSeconds}s after expiresAt`);
      return 1;
    }
    const lateness = (arrivedAt.getTime() - expiresAt.getTime()) / 1000;
    console.log(
      `received expiration:complete ${orderId} at ${arrivedAt.toISOString()} (${lateness.toFixed(3)}s after expiresAt)`,
    );
    return 0;
  } finally {
    await watcher?.close();
    if (watcher) {
      // The watcher's durable consumer is for this run only.
      const durable = durableName(watcher.queueGroupName, Subjects.ExpirationComplete);
      await bus.connection.request(`$JS.API.CONSUMER.DELETE.${stream}.${durable}`).catch(() => undefined);
    }
    await bus.close();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error('publish-order-created failed:', err);
    process.exit(1);
  },
);
