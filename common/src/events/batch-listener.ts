import type { Event } from './base-event';
import { ListenerBase, errorMessage } from './listener-base';
import type { EventMessage } from '../bus/event-bus';

/**
 * A message as {@link BatchListener.onBatch} sees it: everything but `ack` and
 * `nak`, which are the listener's to call once the batch is done.
 */
export type BatchMessage = Omit<EventMessage, 'ack' | 'nak'>;

/** One valid message of a batch. */
export interface BatchItem<T extends Event> {
  /** The payload, already validated. */
  readonly data: T['data'];
  /** Its message: sequence, delivery count, headers (see {@link correlationIdOf}). */
  readonly msg: BatchMessage;
  /**
   * Marks this item as not done: instead of being acked it is given back, as a
   * failing `onMessage` would be (nak'ed with the capped delay, dead-lettered
   * on its last allowed delivery). Call it before `onBatch` resolves; a later
   * call is logged and ignored, because the message is acked by then. The
   * first call counts.
   *
   * @param error - why; its message becomes the reason in the log and the dead letter
   */
  fail(error: unknown): void;
}

/**
 * Receives one subject as a member of a durable queue group, like
 * {@link Listener}, but hands the handler many messages at once, so that their
 * work can be stored in one round trip (one Redis pipeline, one bulk insert)
 * instead of one per message. Write `onBatch(items)` instead of `onMessage`.
 *
 * **How a batch forms.** The transport delivers up to `maxInFlight` messages at
 * once (JetStream pulls as many as there are free slots; NATS Streaming
 * queues the rest locally). The listener gathers the valid ones: the first
 * message of a batch starts a `maxWaitMs` timer, and the batch is handed to
 * `onBatch` when it holds `maxBatch` items or the timer fires, whichever comes
 * first. So a batch is what has arrived: under a burst it is full, on a quiet
 * day it holds one message after a few milliseconds. Batches do not wait for
 * each other: while one is being stored the next gathers and may start, so a
 * pulled message never waits longer than `maxWaitMs` before its batch starts.
 * Keep `maxInFlight` at least `maxBatch` (twice, by default, so that a full
 * batch can gather while another is stored), and `ackWait` longer than one
 * batch takes.
 *
 * **What is acked, and when.** Every message goes through the same checks as
 * with {@link Listener}: an invalid payload, or a message past its last allowed
 * delivery, is dead-lettered and acked on its own and never reaches
 * `onBatch`, without failing or delaying the others. Each valid message is
 * acked only after `onBatch` has resolved, that is after the batch's work is
 * stored. Items `onBatch` marks with {@link BatchItem.fail} are given back
 * instead (nak'ed with the capped delay, dead-lettered on their last allowed
 * delivery), each with its own error; the others are acked. If `onBatch`
 * throws, every item is given back and none is acked: nothing is half-acked,
 * and the redelivered messages come back in later batches, bounded by
 * `maxDeliveries` as usual. The transport's promise for each message settles
 * when its batch is done with it.
 *
 * **Duplicates.** A batch may hold the same event twice (it was published
 * twice, or a redelivery came while the first copy was still gathering), and
 * two batches running at once may hold copies of one event. Make the work
 * idempotent (keyed by the entity's id, as a Bull job id or a Redis `SET NX`
 * is), and within a batch group the items by that key: do the work once per
 * key and `fail` every item of a key whose work failed. See the package
 * README for an example.
 *
 * @typeParam T - the event type, such as `OrderCreatedEvent`
 */
export abstract class BatchListener<T extends Event> extends ListenerBase<T> {
  /**
   * Handles a batch of valid events. Resolve once their work is stored; then
   * every item not marked with {@link BatchItem.fail} is acked. Throw to give
   * back the whole batch. Don't ack or nak the messages yourself.
   *
   * @param items - one or more items, in the order they arrived
   */
  abstract onBatch(items: BatchItem<T>[]): void | Promise<void>;

  /**
   * How many messages this instance holds at once, in batches gathering and
   * being handled.
   *
   * @defaultValue 1000
   */
  protected override maxInFlight = 1000;
  /**
   * The most items in one batch.
   *
   * @defaultValue 500
   */
  protected maxBatch = 500;
  /**
   * How long a batch gathers after its first message arrived, in milliseconds,
   * unless it fills up first.
   *
   * @defaultValue 5
   */
  protected maxWaitMs = 5;
  private gathering?: Gathering<T>;

  /**
   * Checks the batch settings, then subscribes.
   *
   * @returns once the server has registered the subscription
   * @throws RangeError when `maxBatch` is not a whole number of at least 1, or
   *   `maxWaitMs` is not a number of at least 0
   */
  override async listen(): Promise<void> {
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1) {
      throw new RangeError(`maxBatch must be a whole number of at least 1, not ${this.maxBatch}`);
    }
    if (!Number.isFinite(this.maxWaitMs) || this.maxWaitMs < 0) {
      throw new RangeError(`maxWaitMs must be a number of milliseconds of at least 0, not ${this.maxWaitMs}`);
    }
    await super.listen();
  }

  protected override handleValidMessage(data: T['data'], msg: EventMessage): Promise<void> {
    return new Promise<void>((settled) => {
      const batch = (this.gathering ??= this.startGathering());
      batch.entries.push({ data, msg, settled });
      if (batch.entries.length >= this.maxBatch) this.flush(batch);
    });
  }

  private startGathering(): Gathering<T> {
    const batch: Gathering<T> = { entries: [] };
    batch.timer = setTimeout(() => this.flush(batch), this.maxWaitMs);
    return batch;
  }

  /** Closes a batch to newcomers and runs it. */
  private flush(batch: Gathering<T>): void {
    clearTimeout(batch.timer);
    if (this.gathering === batch) this.gathering = undefined;
    void this.runBatch(batch.entries);
  }

  /** Runs `onBatch`, then settles every entry. Never rejects. */
  private async runBatch(entries: Entry<T>[]): Promise<void> {
    const failures = new Map<Entry<T>, unknown>();
    let done = false;
    const items = entries.map((entry): BatchItem<T> => ({
      data: entry.data,
      msg: entry.msg,
      fail: (error: unknown) => {
        if (done) {
          this.logger.warn(
            { err: error, ...this.logFieldsOf(entry.msg) },
            'fail() called after onBatch resolved; the message was settled already',
          );
          return;
        }
        if (!failures.has(entry)) failures.set(entry, error);
      },
    }));
    let batchError: { err: unknown } | undefined;
    try {
      await this.onBatch(items);
    } catch (err) {
      batchError = { err };
      this.logger.error(
        { err, subject: this.subject, size: entries.length, sequences: entries.map((e) => e.msg.getSequence()) },
        'batch handler failed; every message of the batch will be redelivered',
      );
    }
    done = true;
    await Promise.all(
      entries.map((entry) => {
        // An item's own failure names its own error, even when the whole batch failed too.
        if (failures.has(entry)) return this.settle(entry, { err: failures.get(entry), logged: false });
        if (batchError) return this.settle(entry, { err: batchError.err, logged: true });
        return this.settle(entry);
      }),
    );
  }

  /** Acks an entry, or gives it back when it failed; then settles its promise. Never rejects. */
  private async settle(entry: Entry<T>, failure?: { err: unknown; logged: boolean }): Promise<void> {
    try {
      if (failure) {
        await this.giveBack(entry.msg, `handler failed: ${errorMessage(failure.err)}`, failure.err, !failure.logged);
      } else {
        entry.msg.ack();
      }
    } catch (err) {
      // ack() on a connection that just closed, say: the message comes back after its ack wait.
      this.logger.error({ err, ...this.logFieldsOf(entry.msg) }, 'settling a message of a batch failed');
    } finally {
      entry.settled();
    }
  }
}

/** A valid message waiting in, or handled by, a batch. */
interface Entry<T extends Event> {
  data: T['data'];
  msg: EventMessage;
  /** Settles the transport's promise for this message. */
  settled: () => void;
}

/** The batch that new messages join. */
interface Gathering<T extends Event> {
  entries: Entry<T>[];
  timer?: NodeJS.Timeout;
}
