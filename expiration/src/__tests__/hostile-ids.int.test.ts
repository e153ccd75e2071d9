import { Subjects } from '@grider-ms-tickets/common';
import { FakeEventBus, type FakeMessage } from '@grider-ms-tickets/common/testing';
import { QUEUE_KEY_NAMES, expirationJobId } from '../queues/expiration-job-id';
import type { ExpirationService } from '../service';
import { startTestService, stopTestService } from '../test/test-service';
import { inMs, orderCancelled, orderCreated, testNames, waitFor } from '../test/helpers';

/** A fake bus that also notes when each expiration:complete was published. */
class TimedBus extends FakeEventBus {
  readonly expiredAt = new Map<string, number[]>();

  override async publish(...args: Parameters<FakeEventBus['publish']>): Promise<void> {
    await super.publish(...args);
    const [subject, payload] = args;
    if (subject !== Subjects.ExpirationComplete) return;
    const { orderId } = JSON.parse(payload) as { orderId: string };
    this.expiredAt.set(orderId, [...(this.expiredAt.get(orderId) ?? []), Date.now()]);
  }

  count(orderId: string): number {
    return this.expiredAt.get(orderId)?.length ?? 0;
  }
}

// Orders whose ids are the names of Bull's own keys (wait, delayed, meta, id,
// ...), next to ordinary orders, through the whole service in this process with
// a fake bus and the real Redis (a queue prefix of its own).
describe('the expiration service, given order ids named like Bull keys', () => {
  const names = testNames('hostile-ids');
  const bus = new TimedBus();
  let service: ExpirationService;

  beforeAll(async () => {
    service = await startTestService(names, { bus });
  });

  afterAll(async () => {
    await stopTestService(service);
  });

  it('expires ordinary orders on time, fires each hostile one once, and cancels those cancelled', async () => {
    // Arrange: hostile orders fall due among the ordinary ones, and the last
    // ordinary order falls due after all of them, so by the time it is
    // published every hostile job that could fire has fired.
    const hostile = [...QUEUE_KEY_NAMES];
    const cancelledAfter = hostile.filter((_, i) => i % 3 === 1);
    const cancelledBefore = hostile.filter((_, i) => i % 3 === 2);
    const firing = hostile.filter((_, i) => i % 3 === 0);
    const start = Date.now() + 3_000;
    const ordinary = Array.from({ length: 20 }, (_, i) => orderCreated(new Date(start + i * 100)));
    const hostileDue = new Date(start + 500);
    const messages: FakeMessage[] = [];
    const emit = async (subject: Subjects, data: unknown): Promise<void> => {
      messages.push(...(await bus.emit(subject, data)));
    };

    // Act
    for (const id of cancelledBefore) await emit(Subjects.OrderCancelled, orderCancelled(id));
    for (const [i, id] of hostile.entries()) {
      await emit(Subjects.OrderCreated, ordinary[i % ordinary.length]);
      await emit(Subjects.OrderCreated, orderCreated(hostileDue, id));
      // A redelivery of each, which must not schedule a second job.
      await emit(Subjects.OrderCreated, orderCreated(hostileDue, id));
    }
    for (const order of ordinary) await emit(Subjects.OrderCreated, order);
    const scheduled = await Promise.all(hostile.map((id) => service.expirations.queue.getJob(expirationJobId(id))));
    for (const id of cancelledAfter) await emit(Subjects.OrderCancelled, orderCancelled(id));
    const cancelledInTime = Date.now() < hostileDue.getTime();
    await waitFor(
      () => [...ordinary.map((o) => o.id), ...firing].every((id) => bus.count(id) > 0),
      'every ordinary and uncancelled hostile expiration',
      { timeoutMs: 20_000 },
    );

    // Assert: every message was handled (a WRONGTYPE would have failed one).
    expect(cancelledInTime).toBe(true);
    expect(messages.filter((m) => !m.acked || m.nakked)).toEqual([]);
    for (const order of ordinary) {
      const [at] = bus.expiredAt.get(order.id) ?? [];
      expect(at).toBeGreaterThanOrEqual(Date.parse(order.expiresAt));
      expect(at - Date.parse(order.expiresAt)).toBeLessThan(2_000);
      expect(bus.count(order.id)).toBe(1);
    }
    expect(scheduled.map((job) => job?.id ?? null)).toEqual(
      hostile.map((id) => (cancelledBefore.includes(id) ? null : `order:${id}`)),
    );
    expect(Object.fromEntries(hostile.map((id) => [id, bus.count(id)]))).toEqual(
      Object.fromEntries(hostile.map((id) => [id, firing.includes(id) ? 1 : 0])),
    );
    expect(await service.expirations.counts()).toEqual({ delayed: 0, waiting: 0, active: 0, failed: 0 });
  });

  it('keeps working afterwards: a new order expires', async () => {
    const order = orderCreated(inMs(200));

    await bus.emit(Subjects.OrderCreated, order);
    await waitFor(() => bus.count(order.id) === 1, 'the new expiration');

    expect(await service.expirations.ping()).toBe(true);
  });
});
