import { once } from 'node:events';
import nats, { type Message as StanMessage, type Stan } from 'node-nats-streaming';
import type { Logger } from 'pino';
import { DeliveryCounter } from './delivery-counter';
import {
  EVENT_BUS,
  type EventBus,
  type EventMessage,
  type EventSubscription,
  type MessageHandler,
  type SubscriptionSpec,
} from './event-bus';
import { defaultLogger } from '../logging/logger';

/** Options of {@link StanBus.connect}. */
export interface StanConnectOptions {
  /** The NATS Streaming server, for example `nats://nats-srv:4222`. */
  url: string;
  /** The `-cid` the server was started with. */
  clusterId: string;
  /** Unique per process; in Kubernetes, the pod name. */
  clientId: string;
  logger?: Logger;
}

const wrapped = new WeakMap<Stan, StanBus>();

/**
 * The NATS Streaming transport, as the course uses it: the durable name equals
 * the queue group, a new durable gets every message the channel still holds,
 * and acks are manual.
 *
 * NATS Streaming reached end of life in 2023; {@link JetStreamBus} is its successor.
 */
export class StanBus implements EventBus {
  readonly [EVENT_BUS] = true as const;
  readonly kind = 'stan';
  private connected = true;
  /** The client emitted 'close': it will not reconnect, and `close()` would never answer. */
  private clientClosed = false;
  private closing?: Promise<void>;
  private readonly subscriptions = new Set<EventSubscription>();
  private readonly deliveries = new DeliveryCounter();

  /**
   * @param client - a node-nats-streaming client, connected or connecting
   * @param logger - where transport events are logged
   */
  constructor(
    readonly client: Stan,
    private readonly logger: Logger = defaultLogger(),
  ) {
    // Course code hands over a client it has connected already, so start "up".
    // Course tests hand over a bare mock with no event emitter at all.
    if (typeof client.on !== 'function') return;
    client.on('connect', () => (this.connected = true));
    client.on('reconnect', () => (this.connected = true));
    client.on('disconnect', () => (this.connected = false));
    client.on('connection_lost', (err: unknown) => {
      this.connected = false;
      this.logger.error({ err }, 'NATS Streaming connection lost');
    });
    client.on('close', () => {
      this.connected = false;
      this.clientClosed = true;
    });
  }

  /**
   * The bus of a raw client, made once per client, so that every course-style
   * listener built from the same `Stan` shares it.
   *
   * @param client - a node-nats-streaming client
   * @returns its bus
   */
  static wrap(client: Stan): StanBus {
    let bus = wrapped.get(client);
    if (!bus) {
      bus = new StanBus(client);
      wrapped.set(client, bus);
    }
    return bus;
  }

  /**
   * Connects to a NATS Streaming server.
   *
   * @returns once connected
   * @throws the connection error
   */
  static async connect(options: StanConnectOptions): Promise<StanBus> {
    const client = nats.connect(options.clusterId, options.clientId, { url: options.url });
    const bus = new StanBus(client, options.logger);
    await Promise.race([
      once(client, 'connect'),
      once(client, 'error').then(([err]: unknown[]) => {
        throw err;
      }),
    ]);
    bus.connected = true;
    wrapped.set(client, bus);
    return bus;
  }

  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<EventSubscription> {
    const options = this.client
      .subscriptionOptions()
      .setDeliverAllAvailable()
      .setManualAckMode(true)
      .setAckWait(spec.ackWait)
      .setMaxInFlight(spec.maxInFlight)
      .setDurableName(spec.queueGroupName);
    const subscription = this.client.subscribe(spec.subject, spec.queueGroupName, options);
    const inFlight = new Set<Promise<void>>();
    subscription.on('message', (raw: StanMessage) => {
      const work = handler(new StanEventMessage(raw, this.deliveries))
        // The handler is built not to throw. If it still does, log it: an
        // exception escaping this callback would kill the client (nats-io/stan.js#200).
        .catch((err: unknown) => this.logger.error({ err, subject: spec.subject }, 'message handler failed'))
        .finally(() => inFlight.delete(work));
      inFlight.add(work);
    });
    await Promise.race([
      once(subscription, 'ready'),
      once(subscription, 'error').then(([err]: unknown[]) => {
        throw err;
      }),
    ]);
    const handle: EventSubscription = {
      close: async () => {
        if (!this.subscriptions.delete(handle)) return;
        // close(), not unsubscribe(): the durable and its position survive.
        if (!subscription.isClosed()) {
          subscription.close();
          await Promise.race([
            once(subscription, 'closed'),
            once(subscription, 'timeout'),
            once(subscription, 'error'),
          ]).catch(() => undefined);
        }
        await Promise.allSettled(inFlight);
      },
    };
    this.subscriptions.add(handle);
    return handle;
  }

  publish(subject: string, payload: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.publish(subject, payload, (err) => (err ? reject(err) : resolve()));
    });
  }

  isConnected(): boolean {
    return this.connected;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.subscriptions].map((s) => s.close()));
      // Close a client that is merely disconnected too: left open, it keeps
      // reconnecting and holds the process. Its close request times out after
      // connectTimeout, then it emits 'close'.
      if (this.clientClosed) return;
      const closed = once(this.client, 'close');
      this.client.close();
      await closed;
    })();
    return this.closing;
  }
}

/** A NATS Streaming message, with the delivery count this process has seen. */
class StanEventMessage implements EventMessage {
  private readonly key: string;
  private readonly deliveryCount: number;

  constructor(
    private readonly raw: StanMessage,
    private readonly deliveries: DeliveryCounter,
  ) {
    this.key = `${raw.getSubject()}#${raw.getSequence()}`;
    this.deliveryCount = deliveries.record(this.key, raw.isRedelivered());
  }

  ack(): void {
    this.deliveries.forget(this.key);
    this.raw.ack();
  }

  /** NATS Streaming has no negative ack: not acking is what brings the message back. */
  nak(): void {}

  getDeliveryCount(): number {
    return this.deliveryCount;
  }

  getSubject(): string {
    return this.raw.getSubject();
  }

  getSequence(): number {
    return this.raw.getSequence();
  }

  getRawData(): Buffer {
    return this.raw.getRawData();
  }

  // eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- node-nats-streaming's own signature
  getData(): String | Buffer {
    return this.raw.getData();
  }

  getTimestampRaw(): number {
    return this.raw.getTimestampRaw();
  }

  getTimestamp(): Date {
    return this.raw.getTimestamp();
  }

  isRedelivered(): boolean {
    return this.raw.isRedelivered();
  }

  getCrc32(): number {
    return this.raw.getCrc32();
  }
}
