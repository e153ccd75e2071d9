/**
 * The naive baseline (a), run as a child process by the benchmark: the
 * expiration service as the course writes it, over the same JetStream
 * transport as the real one. Prints one JSON line `{"msg":"ready"}` once it
 * listens, and stops on SIGTERM.
 */
import { z } from 'zod';
import { JetStreamBus, createLogger, envPort, envString, envUrl, loadConfig } from '@grider-ms-tickets/common';
import { createExpirationQueue } from './expiration-queue';
import { OrderCreatedListener } from './order-created-listener';

const env = loadConfig(
  z.object({
    NATS_URL: envUrl(['nats:']),
    NATS_STREAM: envString(),
    NATS_SUBJECT_PREFIX: envString(),
    REDIS_HOST: envString(),
    REDIS_PORT: envPort(6379),
    QUEUE_PREFIX: envString(),
  }),
);

async function main(): Promise<void> {
  const logger = createLogger({ name: 'naive-expiration', level: 'info' });
  const bus = await JetStreamBus.connect({
    url: env.NATS_URL,
    stream: env.NATS_STREAM,
    subjectPrefix: env.NATS_SUBJECT_PREFIX,
    logger,
  });
  const queue = createExpirationQueue({
    redis: { host: env.REDIS_HOST, port: env.REDIS_PORT },
    prefix: env.QUEUE_PREFIX,
    client: bus,
  });
  await queue.isReady();
  const listener = new OrderCreatedListener(bus, queue);
  await listener.listen();
  process.once('SIGTERM', () => {
    void (async () => {
      await listener.close();
      await queue.close();
      await bus.close();
      process.exit(0);
    })();
  });
  logger.info('ready');
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
