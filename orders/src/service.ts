import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  closeHttpServer,
  connectEventBus,
  createShutdown,
  startHttpServer,
  type EventBus,
  type Logger,
  type ShutdownStep,
} from '@grider-ms-tickets/common';
import { createApp } from './app';
import type { OrdersConfig } from './config';
import { ExpirationCompleteListener } from './events/listeners/expiration-complete-listener';
import { PaymentCreatedListener } from './events/listeners/payment-created-listener';
import { TicketCreatedListener } from './events/listeners/ticket-created-listener';
import { TicketUpdatedListener } from './events/listeners/ticket-updated-listener';
import { OrdersMetrics } from './metrics';
import { createStore, type OrdersStore } from './store';
import { OrderSweeper } from './sweeper/order-sweeper';

/** Options of {@link startOrdersService}. */
export interface OrdersServiceOptions {
  logger: Logger;
  /**
   * Called with 0 at the end of a shutdown, and with 1 if it times out.
   * `index.ts` passes `process.exit`; tests leave it out.
   *
   * @defaultValue does nothing
   */
  exit?: (code: number) => void;
  /**
   * An open store to use instead of opening the one `config.store` names, such
   * as one store shared by two instances in a test of replicas. The caller
   * keeps it: shutdown does not close it.
   *
   * @defaultValue the store of the config, closed by shutdown
   */
  store?: OrdersStore;
}

/** A running orders service. */
export interface OrdersService {
  server: Server;
  /** The port HTTP listens on: `config.port`, or the one the OS chose for port 0. */
  port: number;
  store: OrdersStore;
  bus: EventBus;
  metrics: OrdersMetrics;
  sweeper: OrderSweeper;
  /**
   * Stops HTTP, the sweeper (waiting for a pass in progress) and the
   * listeners, lets work in flight finish, drains NATS and closes the store,
   * each step on its own, within `config.shutdownTimeoutSeconds`. Safe to call twice.
   */
  shutdown: (reason?: string) => Promise<void>;
}

/**
 * Starts the service in order: the store, then NATS, then the listeners, then
 * the sweeper, then HTTP. If a step fails, what was opened is closed again and
 * the error is thrown.
 *
 * @param config - the validated config
 * @param options - the logger, and what to do at the end of a shutdown
 * @returns the running service
 */
export async function startOrdersService(config: OrdersConfig, options: OrdersServiceOptions): Promise<OrdersService> {
  const { logger, exit = () => undefined } = options;
  // Shutdown steps, in shutdown order: each start step puts its undo in front.
  const steps: ShutdownStep[] = [];
  for (const warning of config.warnings) logger.warn(warning);
  try {
    const metrics = new OrdersMetrics({ defaultMetrics: true });
    const store = options.store ?? (await createStore(config.store, logger));
    if (!options.store) steps.unshift({ name: 'store', run: () => store.close() });

    const bus = await connectEventBus(config.eventBus, logger);
    steps.unshift({ name: 'nats', run: () => bus.close() });
    logger.info({ kind: bus.kind }, 'connected to the event bus');

    const listenerOptions = {
      store,
      logger,
      metrics,
      maxDeliveries: config.eventBus.maxDeliveries,
      service: 'orders',
      // Every delivery, whichever listener, counted once in orders_events_total.
      onOutcome: metrics.countDelivery,
    };
    const listeners = [
      new TicketCreatedListener(bus, listenerOptions),
      new TicketUpdatedListener(bus, listenerOptions),
      new ExpirationCompleteListener(bus, listenerOptions),
      new PaymentCreatedListener(bus, listenerOptions),
    ];
    steps.unshift({ name: 'listeners', run: () => Promise.all(listeners.map((l) => l.close())) });
    await Promise.all(listeners.map((l) => l.listen()));

    const sweeper = new OrderSweeper({
      store,
      bus,
      logger,
      metrics,
      intervalMs: config.sweepIntervalSeconds * 1000,
      graceMs: config.expirationGraceSeconds * 1000,
    });
    // Stopped before the listeners: its pass in progress may still publish.
    steps.unshift({ name: 'sweeper', run: () => sweeper.stop() });
    sweeper.start();

    const app = createApp({ store, bus, config, logger, metrics, busDownGraceMs: config.eventBus.downGraceMs });
    const server = await startHttpServer(app, config.port);
    steps.unshift({ name: 'http', run: () => closeHttpServer(server) });
    const port = (server.address() as AddressInfo).port;
    logger.info({ port }, 'listening');

    const shutdown = createShutdown(steps, { logger, exit, timeoutMs: config.shutdownTimeoutSeconds * 1000 });
    // A transport that can't come back ends the process with 1, and Kubernetes
    // restarts the pod: better than a pod that looks alive and hears nothing.
    bus.onLost((err) => void shutdown(`event bus lost: ${err.message}`, 1));
    return { server, port, store, bus, metrics, sweeper, shutdown: (reason = 'requested') => shutdown(reason) };
  } catch (err) {
    for (const step of steps) {
      await Promise.resolve()
        .then(step.run)
        .catch((closeErr: unknown) =>
          logger.warn({ err: closeErr, step: step.name }, 'cleanup after a failed start-up failed'),
        );
    }
    throw err;
  }
}
