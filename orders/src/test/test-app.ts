import type { Logger } from '@grider-ms-tickets/common';
import { FakeEventBus } from '@grider-ms-tickets/common/testing';
import type { Express } from 'express';
import { createApp, type AppOptions } from '../app';
import { OrdersMetrics } from '../metrics';
import { MemoryOrdersStore, newObjectId, type Ticket } from '../store';
import { captureLogs, type LogLine } from '@grider-ms-tickets/common/testing';
import { sessionCookie } from './session-cookie';

export const TEST_JWT_KEY = 'test-jwt-key';
export const TEST_EXPIRATION_WINDOW_SECONDS = 900;

/** The app over a memory store and a fake bus, with helpers to arrange a test. */
export interface TestApp {
  app: Express;
  store: MemoryOrdersStore;
  bus: FakeEventBus;
  metrics: OrdersMetrics;
  /** The app's logger, for listeners or a sweeper that share its store and bus in a test. */
  logger: Logger;
  logs: LogLine[];
  /** A `Cookie` header value for a user, a new one unless `userId` is given. */
  signin(userId?: string): string;
  /** Adds a ticket replica, as ticket:created would. */
  aTicket(title?: string, price?: number): Promise<Ticket>;
}

/**
 * @param config - settings that differ from the tests' defaults
 * @param options - app options beyond the config, such as the bus's down grace
 * @returns a fresh app with its own store, bus and metrics
 */
export function buildTestApp(
  config: Partial<AppOptions['config']> = {},
  options: Pick<AppOptions, 'busDownGraceMs'> = {},
): TestApp {
  const store = new MemoryOrdersStore();
  const bus = new FakeEventBus();
  const metrics = new OrdersMetrics();
  const { logger, lines } = captureLogs();
  const app = createApp({
    ...options,
    store,
    bus,
    logger,
    metrics,
    config: {
      jwtKey: TEST_JWT_KEY,
      expirationWindowSeconds: TEST_EXPIRATION_WINDOW_SECONDS,
      trustProxyHops: 1,
      ...config,
    },
  });
  return {
    app,
    store,
    bus,
    metrics,
    logger,
    logs: lines,
    signin: (userId = newObjectId()) => sessionCookie({ id: userId, email: `${userId}@test.com` }, TEST_JWT_KEY),
    aTicket: (title = 'concert', price = 20) => store.tickets.create({ id: newObjectId(), title, price }),
  };
}
