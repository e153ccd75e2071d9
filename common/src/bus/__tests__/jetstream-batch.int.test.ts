/**
 * BatchListener on the JetStream transport, against the real NATS server of
 * this machine (NATS_URL, nats://127.0.0.1:4222 by default). Every test
 * gets its own stream, subject prefix and queue group, and deletes its stream
 * afterwards.
 */
import { captureLogs } from '../../testing/capture-logs';
import { waitFor } from '../../testing/wait-for';
import { BatchListener, type BatchItem } from '../../events/batch-listener';
import { Subjects } from '../../events/subjects';
import type { ExpirationCompleteEvent } from '../../events/expiration-complete-event';
import { ACK_PENDING_ROOM, JetStreamBus } from '../jetstream-bus';
import { useJetStreamTestKit } from '../../__tests__/helpers/jetstream-test-kit';

const kit = useJetStreamTestKit('itb');

type Item = BatchItem<ExpirationCompleteEvent>;

interface Received {
  orderId: string;
  sequence: number;
  deliveries: number;
}

class ExpirationBatchListener extends BatchListener<ExpirationCompleteEvent> {
  subject: Subjects.ExpirationComplete = Subjects.ExpirationComplete;
  protected override ackWait = 5_000;
  /** What each batch held, in the order the batches started. */
  readonly batches: Received[][] = [];

  constructor(
    bus: JetStreamBus,
    public queueGroupName: string,
    private readonly handle: (items: Item[], batchIndex: number) => void = () => undefined,
  ) {
    super(bus, { logger: captureLogs('jetstream-batch').logger });
  }

  async onBatch(items: Item[]): Promise<void> {
    const index = this.batches.length;
    this.batches.push(
      items.map((item) => ({
        orderId: item.data.orderId,
        sequence: item.msg.getSequence(),
        deliveries: item.msg.getDeliveryCount(),
      })),
    );
    this.handle(items, index);
  }

  get received(): Received[] {
    return this.batches.flat();
  }
}

/** Publishes `{ orderId }` for each id, a few hundred at a time. */
async function publish(bus: JetStreamBus, orderIds: string[]): Promise<void> {
  for (let i = 0; i < orderIds.length; i += 250) {
    await Promise.all(
      orderIds
        .slice(i, i + 250)
        .map((orderId) => bus.publish(Subjects.ExpirationComplete, JSON.stringify({ orderId }))),
    );
  }
}

const orderIds = (count: number) => Array.from({ length: count }, (_, i) => `o${i + 1}`);

describe('BatchListener on JetStream', () => {
  it('handles 2,000 waiting messages in batches much larger than one, and acks each message once', async () => {
    const bus = await kit.connectBus({ logger: captureLogs('jetstream-batch').logger });
    const ids = orderIds(2_000);
    await publish(bus, ids);
    const listener = new ExpirationBatchListener(bus, kit.group('expiration'));

    await listener.listen();
    await waitFor(() => listener.received.length >= ids.length, { what: 'every message', timeoutMs: 30_000 });
    const info = await kit.waitUntilAllAcked(kit.group('expiration'));

    const sizes = listener.batches.map((b) => b.length);
    expect(listener.received.map((r) => r.orderId).sort()).toEqual([...ids].sort());
    expect(ids.length / sizes.length).toBeGreaterThan(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500);
    expect(info.config.max_ack_pending).toBe(1000 + ACK_PENDING_ROOM);
    expect(info.delivered.consumer_seq).toBe(ids.length);
    expect(info.num_redelivered).toBe(0);
    expect(info.ack_floor.stream_seq).toBe(ids.length);
  });

  it('pulls no more messages than maxInFlight: the batches being stored never hold more', async () => {
    const bus = await kit.connectBus({ logger: captureLogs('jetstream-batch').logger });
    const ids = orderIds(500);
    await publish(bus, ids);
    let holding = 0;
    let mostHeld = 0;
    class SlowListener extends ExpirationBatchListener {
      protected override maxInFlight = 100;
      protected override maxBatch = 50;
      override async onBatch(items: Item[]): Promise<void> {
        await super.onBatch(items);
        holding += items.length;
        mostHeld = Math.max(mostHeld, holding);
        // Some work per batch, so that pulled messages pile up if the pull ignored the limit.
        await new Promise((resolve) => setTimeout(resolve, 20));
        holding -= items.length;
      }
    }
    const listener = new SlowListener(bus, kit.group('expiration'));

    await listener.listen();
    await waitFor(() => listener.received.length >= ids.length, { what: 'every message', timeoutMs: 30_000 });
    const info = await kit.waitUntilAllAcked(kit.group('expiration'));

    expect(mostHeld).toBeGreaterThan(50);
    expect(mostHeld).toBeLessThanOrEqual(100);
    expect(Math.max(...listener.batches.map((b) => b.length))).toBeLessThanOrEqual(50);
    expect(info.delivered.consumer_seq).toBe(ids.length);
  });

  it('when onBatch throws, every message of the batch comes back and is acked on its redelivery, none before', async () => {
    const bus = await kit.connectBus({ logger: captureLogs('jetstream-batch').logger });
    const ids = orderIds(20);
    await publish(bus, ids);
    const listener = new ExpirationBatchListener(bus, kit.group('expiration'), (_items, batchIndex) => {
      if (batchIndex === 0) throw new Error('redis is down');
    });

    await listener.listen();
    await waitFor(() => listener.batches.length >= 1, { what: 'the first batch' });
    const failed = listener.batches[0];
    await waitFor(
      () => failed.every((f) => listener.received.some((r) => r.sequence === f.sequence && r.deliveries === 2)),
      { what: 'the redelivery of the failed batch', timeoutMs: 15_000 },
    );
    const info = await kit.waitUntilAllAcked(kit.group('expiration'));

    const redelivered = listener.received.filter((r) => r.deliveries > 1);
    expect(failed.every((f) => f.deliveries === 1)).toBe(true);
    expect(redelivered.map((r) => r.sequence).sort((a, b) => a - b)).toEqual(
      failed.map((f) => f.sequence).sort((a, b) => a - b),
    );
    expect(redelivered.every((r) => r.deliveries === 2)).toBe(true);
    expect(listener.received).toHaveLength(ids.length + failed.length);
    expect(info.ack_floor.stream_seq).toBe(ids.length);
  });

  it('redelivers only the items onBatch failed; the others are acked once', async () => {
    const bus = await kit.connectBus({ logger: captureLogs('jetstream-batch').logger });
    const ids = orderIds(10);
    await publish(bus, ids);
    const listener = new ExpirationBatchListener(bus, kit.group('expiration'), (items) => {
      for (const item of items) {
        if (item.data.orderId === 'o3' && item.msg.getDeliveryCount() === 1) item.fail(new Error('job o3 not stored'));
      }
    });

    await listener.listen();
    await waitFor(() => listener.received.length === ids.length + 1, {
      what: 'the redelivery of o3',
      timeoutMs: 15_000,
    });
    const info = await kit.waitUntilAllAcked(kit.group('expiration'));

    expect(listener.received.filter((r) => r.deliveries > 1)).toEqual([
      expect.objectContaining({ orderId: 'o3', deliveries: 2 }),
    ]);
    expect(info.delivered.consumer_seq).toBe(ids.length + 1);
    expect(info.ack_floor.stream_seq).toBe(ids.length);
  });
});
