import { JetStreamBus, OrderStatus, Subjects, createLogger, type OrderCancelledEvent } from '@grider-ms-tickets/common';
import { loadOrdersConfig, type OrdersConfig } from '../config';
import { startOrdersService, type OrdersService } from '../service';
import { newObjectId } from '../store';
import { captureLogs } from '@grider-ms-tickets/common/testing';
import { EventRecorder } from '../test/event-recorder';
import { TEST_NATS_URL, deleteStream, uniqueStreamName } from '../test/jetstream';
import { waitFor } from '@grider-ms-tickets/common/testing';

// The service in-process on the real NATS JetStream with the memory store:
// its sweeper, and its shutdown.
describe('the orders service: sweeper and shutdown', () => {
  const stream = uniqueStreamName('life');
  const quiet = createLogger({ name: 'orders-life', level: 'silent' });
  let others: JetStreamBus;
  const running: OrdersService[] = [];

  const configOf = (overrides: NodeJS.ProcessEnv = {}): OrdersConfig => ({
    ...loadOrdersConfig({
      ORDERS_STORE: 'memory',
      EVENT_BUS: 'jetstream',
      NATS_URL: TEST_NATS_URL,
      NATS_STREAM: stream,
      NATS_SUBJECT_PREFIX: `${stream}.`,
      JWT_KEY: 'lifecycle-test-key',
      ORDERS_SWEEP_INTERVAL_SECONDS: '1',
      EXPIRATION_GRACE_SECONDS: '0',
      ...overrides,
    }),
    port: 0,
  });

  const start = async (config: OrdersConfig, options: Parameters<typeof startOrdersService>[1]) => {
    const service = await startOrdersService(config, options);
    running.push(service);
    return service;
  };

  beforeAll(async () => {
    others = await JetStreamBus.connect({ url: TEST_NATS_URL, stream, subjectPrefix: `${stream}.`, logger: quiet });
  });

  afterAll(async () => {
    for (const service of running) await service.shutdown('tests done');
    if (others) {
      await deleteStream(others, stream);
      await others.close();
    }
  });

  it('cancels an order left reserved past its expiry and publishes order:cancelled, with no expiration:complete', async () => {
    const service = await start(configOf(), { logger: quiet });
    const cancelled = new EventRecorder<OrderCancelledEvent>(others, Subjects.OrderCancelled, quiet);
    await cancelled.listen();
    const ticket = await service.store.tickets.create({ id: newObjectId(), title: 'concert', price: 20 });
    // As if its order:created had been lost: nothing will ever expire it.
    const order = await service.store.orders.create({
      userId: newObjectId(),
      expiresAt: new Date(Date.now() - 1_000),
      ticket,
    });

    const seen = await waitFor(() => cancelled.received.find((e) => e.id === order.id), 'order:cancelled');

    expect(seen).toEqual({ id: order.id, version: 1, ticket: { id: ticket.id } });
    expect(await service.store.orders.findById(order.id)).toMatchObject({ status: OrderStatus.Cancelled });
    await cancelled.close();
  });

  it('when its NATS connection is closed for good, shuts down and exits 1 so that Kubernetes restarts it', async () => {
    const exits: number[] = [];
    const service = await start(configOf(), { logger: quiet, exit: (code) => exits.push(code) });

    // Closed under the bus, as when the client gives up reconnecting.
    await (service.bus as JetStreamBus).connection.close();

    await waitFor(() => exits.length > 0 || undefined, 'exit');
    expect(exits).toEqual([1]);
  });

  it('warns at start-up about a short JWT_KEY, and stops HTTP, then the sweeper, then the listeners, NATS and the store', async () => {
    const { logger, lines } = captureLogs();
    const service = await start(configOf(), { logger });

    await service.shutdown('test');

    expect(lines).toContainEqual(expect.objectContaining({ level: 'warn', msg: expect.stringContaining('JWT_KEY') }));
    const steps = lines.filter((l) => l.msg === 'shutdown step done').map((l) => l.step);
    expect(steps).toEqual(['http', 'sweeper', 'listeners', 'nats', 'store']);
  });

  it('exits 1 when the shutdown overruns SHUTDOWN_TIMEOUT_SECONDS, here a sweep that does not end', async () => {
    const exits: number[] = [];
    const service = await start(configOf({ SHUTDOWN_TIMEOUT_SECONDS: '1' }), {
      logger: quiet,
      exit: (code) => exits.push(code),
    });
    let release!: () => void;
    const stuck = new Promise<void>((resolve) => (release = resolve));
    let sweepStarted = false;
    const findOwingEvents = service.store.orders.findOwingEvents;
    service.store.orders.findOwingEvents = async (before, limit) => {
      sweepStarted = true;
      await stuck;
      return findOwingEvents(before, limit);
    };
    await waitFor(() => sweepStarted, 'a sweep to start');

    const shutdown = service.shutdown('test');
    await waitFor(() => exits.includes(1), 'the shutdown to time out', { timeoutMs: 5_000 });
    release();
    await shutdown;

    expect(exits).toEqual([1, 0]);
  });
});
