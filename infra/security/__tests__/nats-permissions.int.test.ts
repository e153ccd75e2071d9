/**
 * The JetStream server's users and permissions, as the manifests deploy them:
 * a nats-server of the test's own reads the very config file that kustomize
 * puts into the ConfigMap (overlays/dev-jetstream), with the passwords in its
 * environment as the StatefulSet gives them. Each service's user must be able
 * to do what its service does, and nothing else.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  JetStreamBus,
  Subjects,
  createLogger,
  durableName,
  type EventMessage,
  type EventSubscription,
} from '@grider-ms-tickets/common';
import { freePort, waitFor } from '@grider-ms-tickets/common/testing';
import { DEAD_LETTER_SUBJECT } from '../../../common/src/dead-letter/dead-letter';
import { queueGroupName as expirationGroup } from '../../../expiration/src/events/listeners/queue-group-name';
import { queueGroupName as ordersGroup } from '../../../orders/src/events/listeners/queue-group-name';
import { natsServerConfig } from './helpers/manifest-config';
import { newPassword } from './helpers/passwords';
import { ServerProcess } from './helpers/servers';

/** What each service subscribes to (its listeners) and publishes (its publishers). */
const SERVICES = {
  expiration: {
    group: expirationGroup,
    subscribes: [Subjects.OrderCreated, Subjects.OrderCancelled],
    publishes: [Subjects.ExpirationComplete],
  },
  orders: {
    group: ordersGroup,
    subscribes: [Subjects.TicketCreated, Subjects.TicketUpdated, Subjects.PaymentCreated, Subjects.ExpirationComplete],
    publishes: [Subjects.OrderCreated, Subjects.OrderCancelled],
  },
} as const;
type ServiceName = keyof typeof SERVICES;

const logger = createLogger({ name: 'nats-permissions-test', level: 'silent' });

describe('the JetStream server with the users and permissions of the manifests', () => {
  let dir: string;
  let server: ServerProcess;
  let url: string;
  const passwords: Record<string, string> = {};
  const buses: JetStreamBus[] = [];
  const subscriptions: EventSubscription[] = [];

  const connect = async (user: string, password = passwords[user]): Promise<JetStreamBus> => {
    const bus = await JetStreamBus.connect({ url, name: `test-${user}`, auth: { user, password }, logger });
    buses.push(bus);
    return bus;
  };

  beforeAll(async () => {
    const { conf, passwordVariables } = natsServerConfig('dev-jetstream', 'nats');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'nats-permissions-'));
    const confFile = path.join(dir, 'nats-auth.conf');
    fs.writeFileSync(confFile, conf);
    // As the StatefulSet does: each variable from its key of the Secret nats-users.
    const env: Record<string, string> = {};
    for (const { variable, secretKey } of passwordVariables) {
      passwords[secretKey] ??= newPassword();
      env[variable] = passwords[secretKey];
    }
    const port = await freePort();
    url = `nats://127.0.0.1:${port}`;
    server = await ServerProcess.start(
      'nats-server',
      ['-c', confFile, '-js', '-sd', path.join(dir, 'store'), '-a', '127.0.0.1', '-p', String(port)],
      env,
      'Server is ready',
    );
  });

  afterAll(async () => {
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    await Promise.allSettled(buses.map((b) => b.close()));
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('reads every password from the Secret, one user per service', () => {
    expect(Object.keys(passwords).sort()).toEqual(['expiration', 'orders']);
  });

  it("lets each service's user create the stream, subscribe with its durables, publish its events and ack", async () => {
    const received: Record<ServiceName, string[]> = { expiration: [], orders: [] };
    const bus = {} as Record<ServiceName, JetStreamBus>;
    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      // Each connect creates the stream, or finds it, as the services do at start-up.
      bus[name] = await connect(name);
      for (const subject of SERVICES[name].subscribes) {
        const handler = async (msg: EventMessage) => {
          received[name].push(msg.getSubject());
          msg.ack();
        };
        const spec = {
          subject,
          queueGroupName: SERVICES[name].group,
          ackWait: 5_000,
          maxInFlight: 5,
          maxDeliveries: 3,
        };
        subscriptions.push(await bus[name].subscribe(spec, handler));
      }
    }

    for (const name of Object.keys(SERVICES) as ServiceName[]) {
      for (const subject of SERVICES[name].publishes) await bus[name].publish(subject, '{}');
      await bus[name].publish(DEAD_LETTER_SUBJECT, '{}');
    }

    await waitFor(() => received.expiration.length === 2 && received.orders.length === 1, 'the events to arrive');
    expect(received.expiration.sort()).toEqual([Subjects.OrderCancelled, Subjects.OrderCreated]);
    expect(received.orders).toEqual([Subjects.ExpirationComplete]);
    // Acked: nothing pending on the durables that received something.
    for (const [name, subject] of [
      ['expiration', Subjects.OrderCreated],
      ['expiration', Subjects.OrderCancelled],
      ['orders', Subjects.ExpirationComplete],
    ] as const) {
      const durable = durableName(SERVICES[name].group, subject);
      await waitFor(async () => {
        const reply = await bus[name].connection.request(`$JS.API.CONSUMER.INFO.ticketing.${durable}`, '');
        const info = reply.json<{ num_ack_pending: number; ack_floor: { stream_seq: number } }>();
        return info.num_ack_pending === 0 && info.ack_floor.stream_seq > 0;
      }, `${durable} to have its message acked`);
    }
  });

  it("refuses a publish of payment:created with expiration's credentials", async () => {
    const expiration = await connect('expiration');

    await expect(expiration.publish(Subjects.PaymentCreated, '{}')).rejects.toThrow(/permissions violation/i);
  });

  it("refuses expiration a consumer on another service's subject, and another service's durable", async () => {
    const expiration = await connect('expiration');
    const spec = { subject: Subjects.PaymentCreated, ackWait: 5_000, maxInFlight: 1 };
    const ignore = async () => undefined;

    await expect(expiration.subscribe({ ...spec, queueGroupName: expirationGroup }, ignore)).rejects.toThrow(
      /permissions violation/i,
    );
    await expect(expiration.subscribe({ ...spec, queueGroupName: ordersGroup }, ignore)).rejects.toThrow(
      /permissions violation/i,
    );
  });

  it("refuses expiration a subscription to orders' replies", async () => {
    const expiration = await connect('expiration');

    const subscription = expiration.connection.subscribe('_INBOX.orders.>');

    await expect(subscription.closed).resolves.toEqual(
      expect.objectContaining({ message: expect.stringMatching(/permissions violation/i) }),
    );
  });

  it('refuses a wrong password, and no credentials at all', async () => {
    await expect(connect('expiration', newPassword())).rejects.toThrow(/authorization violation/i);
    await expect(JetStreamBus.connect({ url, logger })).rejects.toThrow(/authorization violation/i);
  });
});
