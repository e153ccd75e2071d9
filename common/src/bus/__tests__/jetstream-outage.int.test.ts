/**
 * JetStreamBus when its server goes away: against a nats-server of the test's
 * own, which the test stops and starts again on the same port and store.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NatsServer } from '../../__tests__/helpers/nats-server';
import { freePort, waitFor } from '../../testing/wait-for';
import { Listener } from '../../events/listener';
import { Publisher } from '../../events/publisher';
import { Subjects } from '../../events/subjects';
import type { ExpirationCompleteEvent } from '../../events/expiration-complete-event';
import { busLiveness } from '../../lifecycle/bus-liveness';
import type { EventMessage } from '../event-bus';
import { JetStreamBus } from '../jetstream-bus';

class ExpirationListener extends Listener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  queueGroupName = 'outage-test';
  protected override ackWait = 2_000;
  readonly orderIds: string[] = [];

  onMessage(data: ExpirationCompleteEvent['data'], msg: EventMessage): void {
    this.orderIds.push(data.orderId);
    msg.ack();
  }
}

class ExpirationPublisher extends Publisher<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
}

describe('JetStreamBus when its server stops and comes back', () => {
  let storeDir: string;
  let port: number;
  let server: NatsServer | undefined;
  const buses: JetStreamBus[] = [];

  const connectBus = async () => {
    const bus = await JetStreamBus.connect({ url: `nats://127.0.0.1:${port}`, stream: 'outage' });
    buses.push(bus);
    return bus;
  };

  beforeEach(async () => {
    storeDir = await mkdtemp(path.join(tmpdir(), 'common-nats-'));
    port = await freePort();
    server = await NatsServer.start(port, storeDir);
  });

  afterEach(async () => {
    for (const bus of buses.splice(0)) await bus.close();
    await server?.stop();
    await rm(storeDir, { recursive: true, force: true });
  });

  it('counts the time down and fails the liveness check past the grace, then reconnects and its durable gets what is published after the restart', async () => {
    const bus = await connectBus();
    const listener = new ExpirationListener(bus);
    await listener.listen();
    const publisher = new ExpirationPublisher(bus);
    await publisher.publish({ orderId: 'before' });
    await waitFor(() => listener.orderIds.length === 1, { what: 'the message before the outage' });
    const lost: Error[] = [];
    bus.onLost((err) => lost.push(err));
    const live = busLiveness(bus, 200);

    await server?.stop();
    await waitFor(() => !bus.isConnected(), { what: 'the disconnect' });
    await waitFor(() => !live(), { what: 'the grace period to pass' });
    const downFor = bus.downForMs();
    server = await NatsServer.start(port, storeDir);
    await waitFor(() => bus.isConnected(), { what: 'the reconnect', timeoutMs: 20_000 });
    // JetStream may still be recovering its streams just after the restart.
    await waitFor(
      () =>
        publisher.publish({ orderId: 'after' }).then(
          () => true,
          () => false,
        ),
      { what: 'a publish after the restart', timeoutMs: 20_000, intervalMs: 250 },
    );
    await waitFor(() => listener.orderIds.includes('after'), {
      what: 'the message after the restart',
      timeoutMs: 30_000,
    });

    expect(downFor).toBeGreaterThan(200);
    expect(bus.downForMs()).toBe(0);
    expect(live()).toBe(true);
    expect(listener.orderIds).toEqual(['before', 'after']);
    expect(lost).toEqual([]);
  });

  it('reports the bus lost once when its connection closes without close()', async () => {
    const bus = await connectBus();
    const lost: Error[] = [];
    bus.onLost((err) => lost.push(err));

    // What the client does when it gives up reconnecting.
    await bus.connection.close();
    await waitFor(() => lost.length === 1, { what: 'the lost callback' });
    await bus.close();

    expect(lost.map((e) => e.message)).toEqual(['the NATS connection closed on its own']);
    expect(bus.isConnected()).toBe(false);
  });

  it('does not report the bus lost when close() closes it', async () => {
    const bus = await connectBus();
    const lost: Error[] = [];
    bus.onLost((err) => lost.push(err));

    await bus.close();
    await bus.connection.closed();

    expect(lost).toEqual([]);
  });
});
