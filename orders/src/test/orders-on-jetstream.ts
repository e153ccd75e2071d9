import {
  JetStreamBus,
  Subjects,
  type Logger,
  type OrderCancelledEvent,
  type OrderCreatedEvent,
  type TicketCreatedEvent,
} from '@grider-ms-tickets/common';
import { waitFor } from '@grider-ms-tickets/common/testing';
import { loadOrdersConfig } from '../config';
import { startOrdersService, type OrdersService } from '../service';
import { newObjectId } from '../store';
import { AnyPublisher } from './any-publisher';
import { EventRecorder } from './event-recorder';
import { TEST_NATS_URL, deleteStream, uniqueStreamName } from './jetstream';

/** The orders service on JetStream, and a second connection that plays the other services. */
export interface OrdersOnJetStream {
  service: OrdersService;
  /** The other services' connection, on the same stream and subject prefix. */
  others: JetStreamBus;
  /** Every order:created the service published. */
  orderCreated: EventRecorder<OrderCreatedEvent>;
  /** Every order:cancelled the service published. */
  orderCancelled: EventRecorder<OrderCancelledEvent>;
  /**
   * Publishes ticket:created as the tickets service does, and waits for the service's replica of it.
   *
   * @param ticket - what to change of a 20-dollar concert ticket
   */
  publishTicket(ticket?: Partial<TicketCreatedEvent['data']>): Promise<TicketCreatedEvent['data']>;
  /** Shuts the service down, then deletes the stream. */
  stop(): Promise<void>;
}

/** Where {@link startOrdersOnJetStream} logs and how it signs sessions. */
export interface OrdersOnJetStreamOptions {
  /** Names the test's stream, which is also its subject prefix. */
  label: string;
  jwtKey: string;
  /** The service's logger. */
  logger: Logger;
  /** @defaultValue the service's logger */
  othersLogger?: Logger;
}

/**
 * Starts the orders service in this process on the real NATS JetStream, with
 * the memory store and a stream of the test's own, and records what it publishes.
 *
 * @param options - the stream's label, the JWT key and the loggers
 */
export async function startOrdersOnJetStream(options: OrdersOnJetStreamOptions): Promise<OrdersOnJetStream> {
  const { label, jwtKey, logger, othersLogger = logger } = options;
  const stream = uniqueStreamName(label);
  const config = loadOrdersConfig({
    ORDERS_STORE: 'memory',
    EVENT_BUS: 'jetstream',
    NATS_URL: TEST_NATS_URL,
    NATS_STREAM: stream,
    NATS_SUBJECT_PREFIX: `${stream}.`,
    JWT_KEY: jwtKey,
  });
  const service = await startOrdersService({ ...config, port: 0 }, { logger });
  const others = await JetStreamBus.connect({
    url: TEST_NATS_URL,
    stream,
    subjectPrefix: `${stream}.`,
    logger: othersLogger,
  });
  const orderCreated = new EventRecorder<OrderCreatedEvent>(others, Subjects.OrderCreated, othersLogger);
  const orderCancelled = new EventRecorder<OrderCancelledEvent>(others, Subjects.OrderCancelled, othersLogger);
  await Promise.all([orderCreated.listen(), orderCancelled.listen()]);

  return {
    service,
    others,
    orderCreated,
    orderCancelled,
    async publishTicket(ticket = {}) {
      const data = { id: newObjectId(), version: 0, title: 'concert', price: 20, userId: newObjectId(), ...ticket };
      await new AnyPublisher<TicketCreatedEvent>(others, Subjects.TicketCreated).publish(data);
      await waitFor(() => service.store.tickets.findById(data.id), 'the ticket replica');
      return data;
    },
    async stop() {
      await service.shutdown('tests done');
      await Promise.all([orderCreated.close(), orderCancelled.close()]);
      await deleteStream(others, stream);
      await others.close();
    },
  };
}
