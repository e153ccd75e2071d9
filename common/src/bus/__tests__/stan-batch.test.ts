/**
 * A BatchListener on the NATS Streaming transport, against the fake
 * node-nats-streaming client (see helpers/fake-stan.ts): a batch is what has
 * arrived, within the bus's handler limit.
 */
import type { Stan } from 'node-nats-streaming';
import { FakeStan, FakeStanMessage } from '../../__tests__/helpers/fake-stan';
import { captureLogs } from '../../testing/capture-logs';
import { waitFor } from '../../testing/wait-for';
import { BatchListener, type BatchItem } from '../../events/batch-listener';
import { Subjects } from '../../events/subjects';
import type { TicketCreatedEvent } from '../../events/ticket-created-event';
import { STAN_RETRY_SLOTS } from '../stan-bus';

class TicketCreatedBatchListener extends BatchListener<TicketCreatedEvent> {
  subject: Subjects.TicketCreated = Subjects.TicketCreated;
  queueGroupName = 'orders-service';
  /** The ticket ids of each batch. */
  readonly batches: string[][] = [];
  /** Fails the whole batch while true. */
  failing = false;

  constructor(stan: Stan, maxInFlight: number) {
    super(stan, { logger: captureLogs('stan-batch').logger });
    this.maxInFlight = maxInFlight;
  }

  onBatch(items: BatchItem<TicketCreatedEvent>[]): void {
    this.batches.push(items.map((item) => item.data.id));
    if (this.failing) throw new Error('database is down');
  }
}

const ticketMessage = (seq: number, redelivered = false) =>
  new FakeStanMessage(
    Subjects.TicketCreated,
    seq,
    { id: `t${seq}`, version: 0, title: 'Concert', price: 20, userId: 'u1' },
    redelivered,
  );

describe('BatchListener on StanBus', () => {
  it('handles the messages that arrived together as one batch, and acks each once', async () => {
    const stan = new FakeStan();
    const listener = new TicketCreatedBatchListener(stan.asStan(), 10);
    await listener.listen();
    const messages = [1, 2, 3, 4, 5].map((seq) => ticketMessage(seq));

    for (const msg of messages) stan.subscription.emit('message', msg);
    await waitFor(() => messages.every((m) => m.ack.mock.calls.length === 1), { what: 'every ack' });

    expect(listener.batches).toEqual([['t1', 't2', 't3', 't4', 't5']]);
    expect(stan.subscribeCalls[0].options.set.maxInFlight).toBe(10 + STAN_RETRY_SLOTS);
  });

  it('a batch holds at most maxInFlight messages; the ones queued in the bus form the next batch', async () => {
    const stan = new FakeStan();
    const listener = new TicketCreatedBatchListener(stan.asStan(), 4);
    await listener.listen();
    const messages = [1, 2, 3, 4, 5, 6].map((seq) => ticketMessage(seq));

    for (const msg of messages) stan.subscription.emit('message', msg);
    await waitFor(() => messages.every((m) => m.ack.mock.calls.length === 1), { what: 'every ack' });

    expect(listener.batches).toEqual([
      ['t1', 't2', 't3', 't4'],
      ['t5', 't6'],
    ]);
  });

  it('when onBatch throws, acks none of the batch; the redelivered messages come back as a batch', async () => {
    const stan = new FakeStan();
    const listener = new TicketCreatedBatchListener(stan.asStan(), 10);
    await listener.listen();
    listener.failing = true;
    const first = [1, 2].map((seq) => ticketMessage(seq));
    for (const msg of first) stan.subscription.emit('message', msg);
    await waitFor(() => listener.batches.length === 1, { what: 'the failed batch' });

    listener.failing = false;
    const again = [1, 2].map((seq) => ticketMessage(seq, true));
    for (const msg of again) stan.subscription.emit('message', msg);
    await waitFor(() => again.every((m) => m.ack.mock.calls.length === 1), { what: 'the acks of the redelivery' });

    expect(first.some((m) => m.ack.mock.calls.length > 0)).toBe(false);
    expect(listener.batches).toEqual([
      ['t1', 't2'],
      ['t1', 't2'],
    ]);
  });
});
