import path from 'node:path';
import type { BenchSettings } from '../config';
import { ExpirationObserver } from '../lib/expiration-observer';
import { connectBus, deleteStream } from '../lib/nats-tools';
import type { Space } from '../lib/space';
import { RawBullTarget, type RawWorkerPlan } from './raw-bull-target';
import type { TargetOptions } from './target';

/**
 * Raw Bull + publish (c): the jobs are added as for raw Bull (b), with
 * pipelined `addBulk`, and the worker child (`src/raw/publish-worker.ts`)
 * publishes expiration:complete for each one, awaiting JetStream's ack. Its
 * expirations are seen as the service's are, by the benchmark's durable
 * JetStream consumer, so its lateness compares with the service's.
 *
 * @param settings - the run's settings
 * @param options - label, and whether to start the worker
 * @returns the target, ready for orders
 */
export function openRawPublishTarget(settings: BenchSettings, options: TargetOptions): Promise<RawBullTarget> {
  return RawBullTarget.open(settings, options, 'raw', (space) => publishingWorker(settings, space));
}

async function publishingWorker(settings: BenchSettings, space: Space): Promise<RawWorkerPlan> {
  const bus = await connectBus(settings.natsUrl, space);
  let observer: ExpirationObserver;
  try {
    observer = await ExpirationObserver.start(bus);
  } catch (err) {
    await deleteStream(bus, space.stream).catch(() => undefined);
    await bus.close();
    throw err;
  }
  return {
    name: 'raw-publish',
    script: path.join('bench', 'src', 'raw', 'publish-worker.ts'),
    env: { NATS_URL: settings.natsUrl, NATS_STREAM: space.stream, NATS_SUBJECT_PREFIX: space.subjectPrefix },
    firings: observer.stored,
    wire: observer.wire,
    closeSteps: [() => observer.close(), () => deleteStream(bus, space.stream), () => bus.close()],
  };
}
