import type { Logger } from 'pino';
import type { EventBus } from './event-bus';
import { JetStreamBus } from './jetstream-bus';
import { StanBus } from './stan-bus';
import { natsServersOf, type EventBusConnectConfig } from '../config/event-bus-config';
import { defaultLogger } from '../logging/logger';

/**
 * Connects the transport a config names.
 *
 * @param config - NATS Streaming or JetStream settings
 * @param logger - where the transport logs
 * @returns the connected bus
 */
export async function connectEventBus(
  config: EventBusConnectConfig,
  logger: Logger = defaultLogger(),
): Promise<EventBus> {
  const { servers: _servers, ...rest } = config;
  const url = natsServersOf(config);
  if (rest.kind === 'jetstream') {
    return JetStreamBus.connect({ ...rest, url, logger });
  }
  return StanBus.connect({ ...rest, url, logger });
}

/**
 * Holds a service's one connection to NATS, like the course's `natsWrapper`:
 * connect once at start-up, then hand `client` to listeners and publishers.
 */
export class NatsWrapper {
  private bus?: EventBus;

  /**
   * The connected bus.
   *
   * @throws Error when used before {@link NatsWrapper.connect}
   */
  get client(): EventBus {
    if (!this.bus) throw new Error('Cannot access the NATS client before connecting');
    return this.bus;
  }

  /** Whether `connect` has succeeded and the connection is up right now. */
  isConnected(): boolean {
    return this.bus?.isConnected() ?? false;
  }

  /**
   * Connects the transport named by the config.
   *
   * @param config - from {@link eventBusConfig}
   * @param logger - where the transport logs
   * @returns the bus, also available as `client`
   */
  async connect(config: EventBusConnectConfig, logger?: Logger): Promise<EventBus>;
  /**
   * The course's signature: connects to NATS Streaming.
   *
   * @deprecated pass an {@link EventBusConfig}
   */
  async connect(clusterId: string, clientId: string, url: string): Promise<EventBus>;
  async connect(configOrClusterId: EventBusConnectConfig | string, loggerOrClientId?: Logger | string, url?: string) {
    if (this.bus) throw new Error('NATS is already connected');
    if (typeof configOrClusterId === 'string') {
      this.bus = await connectEventBus({
        kind: 'stan',
        clusterId: configOrClusterId,
        clientId: loggerOrClientId as string,
        url: url as string,
      });
    } else {
      this.bus = await connectEventBus(configOrClusterId, loggerOrClientId as Logger | undefined);
    }
    return this.bus;
  }

  /** Stops the subscriptions and drains and closes the connection. Safe to call twice, or before `connect`. */
  async close(): Promise<void> {
    await this.bus?.close();
  }
}
