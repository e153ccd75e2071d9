/**
 * The raw Bull + publish worker (c), run as a child process by the benchmark:
 * `queue.process` at the service's concurrency and lock settings, whose job is
 * one awaited JetStream publish of expiration:complete {orderId} and nothing
 * else (no cancellation check, no log line, no metric). Every correct
 * expiration service does at least that per job, so its burst is the ceiling
 * for the service's.
 *
 * It publishes through `JetStreamBus` and a `Publisher` of common, as the
 * service does, with the service's message id: a job run twice (after a crash)
 * must not expire its order twice, and the id is what makes JetStream drop the
 * second publish. The Publisher also checks the payload against its schema
 * (zod); that is the one thing here a service could skip, and the profile
 * summary shows what it costs. Prints `{"msg":"ready"}` once it processes.
 */
import { z } from 'zod';
import {
  JetStreamBus,
  Publisher,
  Subjects,
  createLogger,
  envString,
  envUrl,
  loadConfig,
  type ExpirationCompleteEvent,
} from '@grider-ms-tickets/common';
import { openRawQueue, rawQueueEnvShape } from './raw-queue';

const env = loadConfig(
  z.object({
    ...rawQueueEnvShape,
    NATS_URL: envUrl(['nats:']),
    NATS_STREAM: envString(),
    NATS_SUBJECT_PREFIX: envString(),
  }),
);

/** The service's publisher: the same subject and the same message id per order. */
class ExpirationCompletePublisher extends Publisher<ExpirationCompleteEvent> {
  readonly subject = Subjects.ExpirationComplete;

  protected override messageId(data: ExpirationCompleteEvent['data']): string {
    return `expiration:complete:${data.orderId}`;
  }
}

async function main(): Promise<void> {
  const logger = createLogger({ name: 'raw-publish-worker', level: 'warn' });
  const bus = await JetStreamBus.connect({
    url: env.NATS_URL,
    stream: env.NATS_STREAM,
    subjectPrefix: env.NATS_SUBJECT_PREFIX,
    name: 'raw-publish-worker',
    logger,
  });
  const publisher = new ExpirationCompletePublisher(bus);
  const queue = openRawQueue(env);
  void queue.process(env.CONCURRENCY, async (job) => {
    await publisher.publish({ orderId: job.data.orderId });
  });
  process.once('SIGTERM', () => {
    void (async () => {
      // Active jobs finish (their publishes are acked) before NATS is drained.
      await queue.close();
      await bus.close();
      process.exit(0);
    })();
  });
  await queue.isReady();
  process.stdout.write('{"msg":"ready"}\n');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
