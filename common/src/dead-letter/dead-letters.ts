import { listJetStreamDeadLetters, replayJetStreamDeadLetter } from './jetstream-dead-letters';
import { listStanDeadLetters, replayStanDeadLetter } from './stan-dead-letters';
import type { ListDeadLettersOptions, ReplayedDeadLetter, StoredDeadLetter } from './stored-dead-letter';
import type { EventBus } from '../bus/event-bus';
import { JetStreamBus } from '../bus/jetstream-bus';
import { StanBus } from '../bus/stan-bus';

/**
 * Reads the dead letters on a bus, oldest first: from the stream on JetStream,
 * from the dead-letter channel on NATS Streaming. Nothing is changed.
 *
 * @param bus - a connected JetStream or NATS Streaming bus
 * @param options - the limit
 * @returns the dead letters, each with its own sequence, which `replayDeadLetter` takes
 * @throws Error for a bus of another kind
 */
export function listDeadLetters(bus: EventBus, options: ListDeadLettersOptions = {}): Promise<StoredDeadLetter[]> {
  if (bus instanceof JetStreamBus) return listJetStreamDeadLetters(bus, options);
  if (bus instanceof StanBus) return listStanDeadLetters(bus, options);
  return Promise.reject(new Error(`dead letters can't be read from a ${bus.kind} bus`));
}

/**
 * Publishes the original event of a dead letter again, on its original subject.
 * On JetStream the dead letter is then deleted from the stream; NATS Streaming
 * can't delete it, so it stays on its channel.
 *
 * @param bus - a connected JetStream or NATS Streaming bus
 * @param seq - the dead letter's own sequence, as `listDeadLetters` gives it
 * @returns what was replayed
 * @throws Error when there is no dead letter at `seq`, when it holds only part of its payload, or for a bus of another kind
 */
export function replayDeadLetter(bus: EventBus, seq: number): Promise<ReplayedDeadLetter> {
  if (bus instanceof JetStreamBus) return replayJetStreamDeadLetter(bus, seq);
  if (bus instanceof StanBus) return replayStanDeadLetter(bus, seq);
  return Promise.reject(new Error(`dead letters can't be replayed on a ${bus.kind} bus`));
}
