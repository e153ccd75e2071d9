/**
 * Test helpers of the expiration service: unique names, waiting for conditions,
 * config for a test run, and JetStream clean-up. Not part of the build.
 */
export { waitFor, freePort } from '@grider-ms-tickets/common/testing';
import { waitFor } from '@grider-ms-tickets/common/testing';
import Redis from 'ioredis';
import {
  JetStreamBus,
  Listener,
  OrderStatus,
  Publisher,
  Subjects,
  correlationIdOf,
  createLogger,
  type EventMessage,
  type ExpirationCompleteEvent,
  type Logger,
  type OrderCancelledEvent,
  type OrderCreatedEvent,
} from '@grider-ms-tickets/common';
import { loadExpirationConfig, type ExpirationConfig } from '../config';
import type { ExpirationQueue } from '../queues/expiration-queue';

export const REDIS_HOST = process.env.REDIS_HOST ?? '127.0.0.1';
export const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6379);
export const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

let counter = 0;

/**
 * A name no other test (or test run) uses, for queue prefixes, streams and groups.
 *
 * @param label - what it names, to recognise it in Redis or NATS
 */
export function uniqueName(label: string): string {
  return `${label}-${process.pid}-${Date.now().toString(36)}-${++counter}`;
}

/** A logger that is silent unless TEST_LOG_LEVEL is set. */
export function testLogger(): Logger {
  return createLogger({
    name: 'expiration-test',
    level: (process.env.TEST_LOG_LEVEL as 'info' | undefined) ?? 'silent',
  });
}

/** A random 24-hex id, shaped like a Mongo ObjectId as the orders service makes them. */
export function newOrderId(): string {
  return Array.from({ length: 24 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
}

/**
 * An order:created payload.
 *
 * @param expiresAt - when the reservation ends
 * @param id - the order id, random if absent
 */
export function orderCreated(expiresAt: Date, id = newOrderId()): OrderCreatedEvent['data'] {
  return {
    id,
    version: 0,
    status: OrderStatus.Created,
    userId: 'user-1',
    expiresAt: expiresAt.toISOString(),
    ticket: { id: newOrderId(), price: 20 },
  };
}

/**
 * An order:cancelled payload.
 *
 * @param id - the order id
 */
export function orderCancelled(id: string): OrderCancelledEvent['data'] {
  return { id, version: 1, ticket: { id: newOrderId() } };
}

/** Publishes order:created as the orders service does. */
export class OrderCreatedPublisher extends Publisher<OrderCreatedEvent> {
  readonly subject = Subjects.OrderCreated;
}

/** Publishes order:cancelled as the orders service does. */
export class OrderCancelledPublisher extends Publisher<OrderCancelledEvent> {
  readonly subject = Subjects.OrderCancelled;
}

/** `ms` from now, as a Date. */
export function inMs(ms: number): Date {
  return new Date(Date.now() + ms);
}

/** The unique names one test run uses. */
export interface TestNames {
  queuePrefix: string;
  stream: string;
  subjectPrefix: string;
}

/** A fresh set of unique names. */
export function testNames(label: string): TestNames {
  const name = uniqueName(label);
  return { queuePrefix: `test-${name}`, stream: `test-${name}`, subjectPrefix: `test-${name}.` };
}

/**
 * The environment of a test run of the service over JetStream, with short
 * retry delays.
 *
 * @param names - from {@link testNames}
 * @param overrides - any variable
 */
export function testEnv(names: TestNames, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    EVENT_BUS: 'jetstream',
    NATS_URL,
    NATS_STREAM: names.stream,
    NATS_SUBJECT_PREFIX: names.subjectPrefix,
    REDIS_HOST,
    REDIS_PORT: String(REDIS_PORT),
    QUEUE_PREFIX: names.queuePrefix,
    EXPIRATION_BACKOFF_MS: '100',
    EXPIRATION_BACKOFF_MAX_MS: '1000',
    HEALTH_PORT: '8080',
    LOG_LEVEL: 'silent',
    ...overrides,
  };
}

/**
 * A validated config for an in-process run; HTTP listens on a port the OS picks.
 *
 * @param names - from {@link testNames}
 * @param overrides - any variable
 */
export function testConfig(names: TestNames, overrides: NodeJS.ProcessEnv = {}): ExpirationConfig {
  return { ...loadExpirationConfig(testEnv(names, overrides)), healthPort: 0 };
}

/**
 * Connects a JetStream bus for the test's own publishing and listening.
 *
 * @param names - from {@link testNames}
 * @param url - the NATS server
 */
export function connectTestBus(names: TestNames, url = NATS_URL): Promise<JetStreamBus> {
  return JetStreamBus.connect({ url, stream: names.stream, subjectPrefix: names.subjectPrefix, logger: testLogger() });
}

/**
 * Deletes a test's stream (and with it its consumers), then closes the bus.
 *
 * @param bus - a bus connected with {@link connectTestBus}
 */
export async function deleteStreamAndClose(bus: JetStreamBus): Promise<void> {
  if (!bus.connection.isClosed()) {
    await bus.connection
      .request(`$JS.API.STREAM.DELETE.${bus.stream}`, undefined, { timeout: 5_000 })
      .catch(() => undefined);
  }
  await bus.close();
}

/** What a JetStream consumer says of its messages (part of the server's `$JS.API.CONSUMER.INFO` answer). */
export interface ConsumerCounts {
  /** Messages of the stream not yet delivered to it. */
  num_pending: number;
  /** Messages delivered and not yet acked. */
  num_ack_pending: number;
  /** Messages delivered more than once. */
  num_redelivered: number;
  config: { ack_wait: number; max_ack_pending: number };
}

/**
 * Asks the server about a durable consumer of a test's stream.
 *
 * @param bus - a bus connected with {@link connectTestBus}
 * @param durable - the consumer, `durableName(queueGroupName, subject)`
 */
export async function consumerCounts(bus: JetStreamBus, durable: string): Promise<ConsumerCounts> {
  const reply = await bus.connection.request(`$JS.API.CONSUMER.INFO.${bus.stream}.${durable}`, undefined, {
    timeout: 5_000,
  });
  const info = reply.json<ConsumerCounts & { error?: { description: string } }>();
  if (info.error) throw new Error(`consumer ${durable}: ${info.error.description}`);
  return info;
}

/**
 * Records every expiration:complete, as the orders service would receive them.
 * Each instance is its own queue group, so it sees every message of the stream.
 */
export class ExpirationCollector extends Listener<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;
  readonly queueGroupName = uniqueName('collector');
  /** Arrival times by order id; an order that expired twice has two. */
  readonly arrivals = new Map<string, number[]>();
  /** The correlation id of each order's last expiration:complete, when it had one. */
  readonly correlationIds = new Map<string, string | undefined>();

  constructor(bus: JetStreamBus) {
    super(bus, { logger: testLogger() });
  }

  onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): void {
    const times = this.arrivals.get(data.orderId) ?? [];
    times.push(Date.now());
    this.arrivals.set(data.orderId, times);
    this.correlationIds.set(data.orderId, correlationIdOf(msg));
    msg.ack();
  }

  /** How many times an order's expiration arrived. */
  count(orderId: string): number {
    return this.arrivals.get(orderId)?.length ?? 0;
  }

  /**
   * Waits until every order's expiration has arrived at least once.
   *
   * @returns the first arrival time of each, in the order given
   */
  async waitForAll(orderIds: readonly string[], timeoutMs = 30_000): Promise<number[]> {
    await waitFor(
      () => orderIds.every((id) => this.count(id) > 0),
      `expiration:complete of ${orderIds.length} order(s)`,
      {
        timeoutMs,
      },
    );
    return orderIds.map((id) => (this.arrivals.get(id) as number[])[0]);
  }
}

/**
 * Closes a test's queue and deletes every key under its prefix.
 *
 * @param expirations - a queue made with a test prefix
 */
export async function destroyQueue(expirations: ExpirationQueue): Promise<void> {
  await expirations.close();
  await expirations.disconnect();
  await deleteQueueKeys((expirations.queue as unknown as { keyPrefix: string }).keyPrefix);
}

/**
 * Deletes every key under a test's queue prefix.
 *
 * @param prefix - the QUEUE_PREFIX of the test
 */
export async function deleteQueueKeys(prefix: string): Promise<void> {
  const redis = new Redis({ host: REDIS_HOST, port: REDIS_PORT });
  try {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  } finally {
    await redis.quit();
  }
}
