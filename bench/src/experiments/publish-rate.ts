/**
 * Experiment: how fast the benchmark's publisher alone can put order:created
 * events on JetStream (no consumer), for several numbers of publishes in
 * flight. No NATS-fed ingest can beat this on the same machine.
 *
 *   node --import tsx bench/src/experiments/publish-rate.ts [events]
 */
import { Subjects } from '@grider-ms-tickets/common';
import { connectBus, deleteStream, publishAll } from '../lib/nats-tools';
import { makeOrders, orderCreatedData } from '../lib/orders';
import { Space } from '../lib/space';

const EVENTS = Number(process.argv[2] ?? 20_000);
const NATS_URL = process.env.NATS_URL ?? 'nats://127.0.0.1:4222';

async function main(): Promise<void> {
  for (const window of [128, 512, 2048]) {
    const space = new Space('publish-rate');
    const bus = await connectBus(NATS_URL, space);
    try {
      const payloads = makeOrders(EVENTS, () => Date.now() + 3_600_000).map((o) => JSON.stringify(orderCreatedData(o)));
      const span = await publishAll(bus, Subjects.OrderCreated, payloads, window);
      console.log(`${window} in flight: ${Math.round((EVENTS * 1000) / (span.endedAt - span.startedAt))} events/s`);
    } finally {
      await deleteStream(bus, space.stream);
      await bus.close();
    }
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
