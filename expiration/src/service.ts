import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  busLiveness,
  connectEventBus,
  createShutdown,
  type EventBus,
  type Logger,
  type ShutdownStep,
  closeHttpServer,
  startHttpServer,
} from '@grider-ms-tickets/common';
import { createApp } from './app';
import type { ExpirationConfig } from './config';
import { ingestSummary } from './events/listeners/ingest-summary';
import { OrderCancelledListener } from './events/listeners/order-cancelled-listener';
import { OrderCreatedListener } from './events/listeners/order-created-listener';
import { ExpirationCompletePublisher } from './events/publishers/expiration-complete-publisher';
import { ExpirationMetrics } from './metrics';
import { createExpirationProcessor, firingSummary } from './queues/expiration-processor';
import { createExpirationQueue, type ExpirationQueue, type ExpirationQueueOptions } from './queues/expiration-queue';

/** How long start-up waits for Redis to answer before giving up. */
const REDIS_STARTUP_TIMEOUT_MS = 10_000;

/** Options of {@link startExpirationService}. */
export interface ExpirationServiceOptions {
  logger: Logger;
  /**
   * Ends the process once shutdown is done (with 1 if it timed out). Nothing by
   * default, so tests can run the service in-process; `index.ts` passes `process.exit`.
   */
  exit?: (code: number) => void;
  /**
   * A connected bus to use instead of connecting one from the config, such as
   * the test kit's `FakeEventBus`. The caller keeps it: shutdown does not close it.
   */
  bus?: EventBus;
  /** Bull lock timings, for tests that check stall recovery quickly. */
  queue?: Pick<ExpirationQueueOptions, 'lockDurationMs' | 'stalledIntervalMs'>;
}

/** A running expiration service. */
export interface ExpirationService {
  readonly expirations: ExpirationQueue;
  readonly bus: EventBus;
  readonly metrics: ExpirationMetrics;
  readonly server: Server;
  /** The port HTTP listens on (the config's, or the one picked for port 0). */
  readonly port: number;
  /**
   * The one shutdown routine: stops the listeners, closes the queue (waiting for
   * active jobs), drains NATS, quits Redis and closes HTTP, within
   * `SHUTDOWN_TIMEOUT_SECONDS`. Safe to call twice. A lost event bus calls it
   * with exit code 1.
   *
   * @param reason - logged, such as the signal
   */
  shutdown(reason?: string): Promise<void>;
}

/**
 * Starts the service in order: Redis, NATS, the worker, the listeners, then
 * HTTP. If a step fails, what was opened is closed again and the error is
 * thrown; the caller logs it and exits non-zero.
 *
 * @param config - the validated config
 * @param options - logger, exit, and test hooks
 * @returns the running service
 */
export async function startExpirationService(
  config: ExpirationConfig,
  options: ExpirationServiceOptions,
): Promise<ExpirationService> {
  const { logger } = options;
  // Steps are added as things open, so a failed start-up closes exactly those.
  const listenerSteps: ShutdownStep[] = [];
  const steps: ShutdownStep[] = [];
  let expirations: ExpirationQueue | undefined;
  const rollback = async (): Promise<void> => {
    for (const step of [...listenerSteps, ...steps, { name: 'redis', run: () => expirations?.disconnect() }]) {
      try {
        await step.run();
      } catch (err) {
        logger.warn({ err, step: step.name }, 'clean-up after a failed start-up failed');
      }
    }
  };

  try {
    const metrics = new ExpirationMetrics({ defaultMetrics: true });
    // Per-event lines are at debug; these write what happened once a second at info.
    const processorLogger = logger.child({ component: 'processor' });
    const listenerLogger = logger.child({ component: 'listener' });
    const firing = firingSummary(processorLogger);
    const ingest = ingestSummary(listenerLogger);

    const queue = createExpirationQueue({
      redis: config.redis,
      replicaWait: config.redis.replicaWait,
      prefix: config.queuePrefix,
      publishAttempts: config.publishAttempts,
      backoffMs: config.backoffMs,
      backoffMaxMs: config.backoffMaxMs,
      retentionSeconds: config.retentionSeconds,
      logger: logger.child({ component: 'queue' }),
      ...options.queue,
    });
    expirations = queue;
    steps.push({ name: 'queue', run: () => queue.close() });
    // The last summaries, once the listeners and the worker have stopped.
    steps.push({ name: 'log summaries', run: () => [ingest, firing].forEach((summary) => summary.flush()) });
    await withTimeout(queue.ping(), REDIS_STARTUP_TIMEOUT_MS, 'Redis did not answer PING');
    metrics.trackQueue(queue);
    const { sentinel, replicaWait } = config.redis;
    logger.info(
      {
        ...(sentinel
          ? { sentinels: sentinel.sentinels.map((s) => `${s.host}:${s.port}`), master: sentinel.name }
          : { host: config.redis.host, port: config.redis.port }),
        waitReplicas: replicaWait.replicas,
      },
      'redis connected',
    );
    if (replicaWait.replicas > 0) {
      // Not fatal: a replica may be on its way back. But until it is, no
      // batch is acked, and this line says why.
      const replicas = await queue.connectedReplicas().catch((err: unknown) => {
        logger.warn({ err }, 'could not read how many replicas Redis has (INFO replication)');
        return undefined;
      });
      if (replicas !== undefined && replicas < replicaWait.replicas) {
        logger.warn(
          { connectedReplicas: replicas, waitReplicas: replicaWait.replicas },
          'Redis has fewer replicas than REDIS_WAIT_REPLICAS: no order:created or order:cancelled is acked until enough are connected',
        );
      }
    }

    const bus = options.bus ?? (await connectEventBus(config.eventBus, logger.child({ component: 'nats' })));
    if (!options.bus) steps.push({ name: 'nats', run: () => bus.close() });
    // Redis goes after NATS: closing the queue waits for the active jobs,
    // whose publishes then drain with NATS, and only then are the connections
    // the queue used no longer needed.
    steps.push({ name: 'redis', run: () => queue.disconnect() });
    logger.info({ kind: bus.kind }, 'event bus connected');

    // Expirations whose attempts ran out during a long NATS outage would sit in
    // `failed` for ever; put them back now that NATS is reachable.
    const retried = await queue.retryFailed();
    if (retried > 0) logger.info({ retried }, 'failed expirations put back in the queue');

    // Built once: per job, the processor only checks, publishes and counts.
    const processor = createExpirationProcessor({
      publisher: new ExpirationCompletePublisher(bus),
      expirations: queue,
      jobOptions: queue.jobOptions,
      metrics,
      logger: processorLogger,
      summary: firing,
    });
    queue.process(config.concurrency, processor);
    logger.info({ concurrency: config.concurrency }, 'worker started');

    // The same, while running: an outage longer than all the retries would
    // otherwise park expirations until the next restart.
    const stopSweep = queue.startFailedSweep(Math.max(config.backoffMaxMs, 1_000), () => bus.isConnected());
    listenerSteps.push({ name: 'failed-job sweep', run: stopSweep });

    const listenerOptions = {
      expirations: queue,
      metrics,
      summary: ingest,
      logger: listenerLogger,
      redisCommandTimeoutMs: config.redis.commandTimeoutMs,
      redisReplicaWaitMs: replicaWait.replicas > 0 ? replicaWait.timeoutMs : 0,
      maxDeliveries: config.eventBus.maxDeliveries,
      service: 'expiration',
    };
    const listeners = [
      new OrderCreatedListener(bus, listenerOptions),
      new OrderCancelledListener(bus, listenerOptions),
    ];
    listenerSteps.unshift({ name: 'listeners', run: () => Promise.all(listeners.map((l) => l.close())) });
    for (const listener of listeners) await listener.listen();

    const app = createApp({
      checks: { redis: () => queue.ping(), nats: () => bus.isConnected() },
      // Alive while NATS is down for less than the grace: the client reconnects by itself.
      liveness: { nats: busLiveness(bus, config.eventBus.downGraceMs) },
      registry: metrics.registry,
      logger,
      dashboard: config.dashboardCredentials && { queue: queue.queue, credentials: config.dashboardCredentials },
    });
    const server = await startHttpServer(app, config.healthPort);
    steps.push({ name: 'http', run: () => closeHttpServer(server) });
    const port = (server.address() as AddressInfo).port;
    logger.info({ port }, 'http listening');

    const shutdown = createShutdown([...listenerSteps, ...steps], {
      logger,
      exit: options.exit ?? (() => undefined),
      timeoutMs: config.shutdownTimeoutSeconds * 1000,
    });
    // A transport that can't come back ends the process with 1, and Kubernetes
    // restarts the pod: better than a pod that looks alive and hears nothing.
    bus.onLost((err) => void shutdown(`event bus lost: ${err.message}`, 1));
    return {
      expirations: queue,
      bus,
      metrics,
      server,
      port,
      shutdown: (reason = 'shutdown requested') => shutdown(reason),
    };
  } catch (err) {
    await rollback();
    throw err;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
