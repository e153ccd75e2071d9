import {
  JetStreamBus,
  OrderStatus,
  Subjects,
  createLogger,
  type ExpirationCompleteEvent,
  type OrderCancelledEvent,
  type PaymentCreatedEvent,
} from '@grider-ms-tickets/common';
import { captureLogs, waitFor, type LogLine } from '@grider-ms-tickets/common/testing';
import { loadOrdersConfig } from '../config';
import { startOrdersService, type OrdersService } from '../service';
import { MemoryOrdersStore, MongoOrdersStore, newObjectId, type Order, type OrdersStore } from '../store';
import { AnyPublisher } from '../test/any-publisher';
import { EventRecorder } from '../test/event-recorder';
import { TEST_NATS_URL, deleteStream, uniqueStreamName } from '../test/jetstream';
import { laggingStore } from '../test/lagging-store';

// Two complete orders services in this process, each with its own JetStream
// connection, listeners (the same durables, so they split the messages as two
// pods do), sweeper and HTTP server, on one store. The memory store lives in
// one process, so this is the only way two replicas can share it; MongoDB is
// shared across processes the same way, through one database.

/** Orders raced, each getting a payment:created and an expiration:complete at the same moment. */
const ORDERS = 200;
/** The longest lag of one read or save of the memory store, as a database round trip. */
const MEMORY_LAG_MS = 5;

const REFUND_MESSAGE = 'payment for a cancelled order; left cancelled, needs a refund';
const RETRY_MESSAGE = 'handler failed; the message will be redelivered';

/** What the two replicas share, and how to close it. */
interface SharedStore {
  /** The store each replica gets: views of one store, or connections to one database. */
  forReplica: [OrdersStore, OrdersStore];
  /** Where the test arranges and reads the orders. */
  direct: OrdersStore;
  close(): Promise<void>;
}

function describeReplicaRace(storeName: string, open: () => Promise<SharedStore>, describeFn = describe): void {
  describeFn(`two orders replicas on one ${storeName} store`, () => {
    const stream = uniqueStreamName('replicas');
    const quiet = createLogger({ name: 'orders-replicas-test', level: 'silent' });
    let shared: SharedStore;
    let replicas: OrdersService[] = [];
    const logs: LogLine[][] = [];
    let others: JetStreamBus;
    let cancelledEvents: EventRecorder<OrderCancelledEvent>;
    let orders: Order[];

    beforeAll(async () => {
      shared = await open();
      others = await JetStreamBus.connect({ url: TEST_NATS_URL, stream, subjectPrefix: `${stream}.`, logger: quiet });
      cancelledEvents = new EventRecorder(others, Subjects.OrderCancelled, quiet);
      await cancelledEvents.listen();
      const config = loadOrdersConfig({
        ORDERS_STORE: 'memory',
        EVENT_BUS: 'jetstream',
        NATS_URL: TEST_NATS_URL,
        NATS_STREAM: stream,
        NATS_SUBJECT_PREFIX: `${stream}.`,
        JWT_KEY: 'replicas-jwt-key',
        // The sweeper stays out of the race: every cancel here comes from an expiration:complete.
        ORDERS_SWEEP_INTERVAL_SECONDS: '3600',
        EXPIRATION_GRACE_SECONDS: '3600',
        LOG_LEVEL: 'silent',
      });
      for (const store of shared.forReplica) {
        const { logger, lines } = captureLogs(`orders#${replicas.length + 1}`);
        logs.push(lines);
        replicas.push(await startOrdersService({ ...config, port: 0 }, { logger, store }));
      }
      orders = [];
      for (let i = 0; i < ORDERS; i++) {
        const ticket = await shared.direct.tickets.create({ id: newObjectId(), title: `seat ${i}`, price: 20 });
        orders.push(await shared.direct.orders.create({ userId: newObjectId(), expiresAt: new Date(), ticket }));
      }
    }, 120_000);

    afterAll(async () => {
      for (const replica of replicas) await replica.shutdown('tests done');
      replicas = [];
      if (others) {
        await cancelledEvents?.close();
        await deleteStream(others, stream);
        await others.close();
      }
      await shared?.close();
    });

    it('settles a payment and an expiration that race for every order: one outcome each, with its events', async () => {
      // Arrange: both events of each order are published at the same moment.
      const pay = new AnyPublisher<PaymentCreatedEvent>(others, Subjects.PaymentCreated);
      const expire = new AnyPublisher<ExpirationCompleteEvent>(others, Subjects.ExpirationComplete);

      // Act
      await Promise.all(
        orders.map((o) =>
          Promise.all([
            pay.publish({ id: newObjectId(), orderId: o.id, stripeId: `ch_${o.id}` }),
            expire.publish({ orderId: o.id }),
          ]),
        ),
      );
      await waitFor(
        async () =>
          (await handled(replicas, Subjects.PaymentCreated)) === ORDERS &&
          (await handled(replicas, Subjects.ExpirationComplete)) === ORDERS,
        { timeoutMs: 120_000, what: 'both events of every order to be handled' },
      );
      const final = await Promise.all(orders.map((o) => shared.direct.orders.findById(o.id)));
      const cancelled = final.filter((o) => o?.status === OrderStatus.Cancelled) as Order[];
      await waitFor(() => cancelled.every((o) => cancelledEvents.received.some((e) => e.id === o.id)), {
        timeoutMs: 30_000,
        what: 'the order:cancelled of every cancelled order',
      });

      // Assert: every order ends complete or cancelled, never both.
      const complete = final.filter((o) => o?.status === OrderStatus.Complete) as Order[];
      expect(complete.length + cancelled.length).toBe(ORDERS);
      const eventsOf = (id: string) => cancelledEvents.received.filter((e) => e.id === id);
      expect(complete.filter((o) => eventsOf(o.id).length > 0).map((o) => o.id)).toEqual([]);
      // One order:cancelled version per cancelled order: the version its cancel saved.
      const wrongVersions = cancelled.filter((o) => {
        const versions = new Set(eventsOf(o.id).map((e) => e.version));
        return versions.size !== 1 || !versions.has(o.version);
      });
      expect(wrongVersions.map((o) => o.id)).toEqual([]);
      expect(cancelled.filter((o) => o.pendingEvents.length > 0).map((o) => o.id)).toEqual([]);

      // Each order changed state once: a completion or a cancel by its expiration.
      const lines = logs.flat();
      const transitions = await transitionsOf(replicas);
      expect(transitions.completed).toBe(complete.length);
      expect(transitions.cancelled_by_expiration).toBe(cancelled.length);
      // A payment that lost the race to the cancel asks for a refund, once; a complete order never does.
      const refunds = lines.filter((l) => l.msg === REFUND_MESSAGE).map((l) => String(l.orderId));
      expect([...refunds].sort()).toEqual(cancelled.map((o) => o.id).sort());

      // Nothing was dead-lettered, and both replicas took part.
      for (const subject of [Subjects.PaymentCreated, Subjects.ExpirationComplete]) {
        for (const replica of replicas) expect(await countOf(replica, subject, 'handled')).toBeGreaterThan(0);
        for (const outcome of ['invalid', 'dead_lettered']) {
          expect(await countOf(replicas[0], subject, outcome)).toBe(0);
          expect(await countOf(replicas[1], subject, outcome)).toBe(0);
        }
      }
      // The race was real: some handler read an order another had just changed, and its save was refused.
      const conflicts = lines.filter((l) => l.msg === RETRY_MESSAGE && errType(l) === 'VersionConflictError');
      expect(conflicts.length).toBeGreaterThan(0);
      console.log(
        `orders replicas (${storeName}): ${complete.length} complete, ${cancelled.length} cancelled, ` +
          `${conflicts.length} version conflicts retried, ${refunds.length} refunds asked; handled per replica: ` +
          (await Promise.all(replicas.map((r) => countOf(r, Subjects.ExpirationComplete, 'handled')))).join('/') +
          ' expiration:complete, ' +
          (await Promise.all(replicas.map((r) => countOf(r, Subjects.PaymentCreated, 'handled')))).join('/') +
          ' payment:created',
      );
    }, 180_000);
  });
}

describeReplicaRace('memory', async () => {
  const store = new MemoryOrdersStore();
  return {
    forReplica: [laggingStore(store, MEMORY_LAG_MS), laggingStore(store, MEMORY_LAG_MS)],
    direct: store,
    close: async () => undefined,
  };
});

const mongoUri = process.env.MONGO_URI;
if (!mongoUri) process.stderr.write('orders replicas on MongoDB skipped: MONGO_URI is not set\n');
// Only with a MongoDB given: mongodb-memory-server would download mongod here,
// and the store's own contract suite already covers that case.
describeReplicaRace(
  'mongo',
  async () => {
    const options = { dbName: `orders-replicas-${newObjectId()}`, serverSelectionTimeoutMS: 10_000 };
    // A connection per replica, as two pods have, to one database.
    const stores = await Promise.all([0, 1, 2].map(() => MongoOrdersStore.connect(mongoUri as string, options)));
    return {
      forReplica: [stores[0], stores[1]],
      direct: stores[2],
      close: async () => {
        await stores[2].connection.dropDatabase();
        await Promise.all(stores.map((s) => s.close()));
      },
    };
  },
  mongoUri ? describe : describe.skip,
);

async function handled(replicas: OrdersService[], subject: Subjects): Promise<number> {
  let n = 0;
  for (const replica of replicas) n += await countOf(replica, subject, 'handled');
  return n;
}

async function countOf(replica: OrdersService, subject: Subjects, outcome: string): Promise<number> {
  const { values } = await replica.metrics.events.get();
  return values.find((v) => v.labels.subject === subject && v.labels.outcome === outcome)?.value ?? 0;
}

/** orders_transitions_total summed over the replicas, by transition. */
async function transitionsOf(replicas: OrdersService[]): Promise<Record<string, number>> {
  const sums: Record<string, number> = {};
  for (const replica of replicas) {
    for (const v of (await replica.metrics.transitions.get()).values) {
      const key = String(v.labels.transition);
      sums[key] = (sums[key] ?? 0) + v.value;
    }
  }
  return sums;
}

function errType(line: LogLine): string | undefined {
  return (line.err as { type?: string } | undefined)?.type;
}
