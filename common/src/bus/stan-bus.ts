import { once } from 'node:events';
import nats, { type Message as StanMessage, type Stan } from 'node-nats-streaming';
import type { Logger } from 'pino';
import { ConnectionState } from './connection-state';
import { DeliveryCounter } from './delivery-counter';
import { stanAuthOptions } from './nats-auth';
import {
  EVENT_BUS,
  type EventBus,
  type EventMessage,
  type EventSubscription,
  type MessageHandler,
  type PublishOptions,
  type SubscriptionSpec,
} from './event-bus';
import type { NatsAuth } from '../config/event-bus-config';
import { defaultLogger } from '../logging/logger';

/** Options of {@link StanBus.connect}. */
export interface StanConnectOptions {
  /**
   * The NATS Streaming server, for example `nats://nats-srv:4222`, or the
   * servers of the NATS cluster it is reached through. The client connects to
   * the first and, when it loses it, to any other.
   */
  url: string | string[];
  /** The `-cid` the server was started with. */
  clusterId: string;
  /** Unique per process; in Kubernetes, the pod name. */
  clientId: string;
  /**
   * A user and password, or a credentials file, for the NATS server that
   * NATS Streaming embeds.
   *
   * @defaultValue none: connect without credentials
   */
  auth?: NatsAuth;
  logger?: Logger;
}

const wrapped = new WeakMap<Stan, StanBus>();

/**
 * How many unacked messages the server may hand a subscription beyond the ones
 * its handlers work on. NATS Streaming counts every unacked message against
 * maxInFlight, one that failed and waits out its ack wait included. Were the
 * server's limit the handler concurrency, one failing message would stop the
 * subscription for a whole ack wait, every time it comes back. With these slots,
 * up to this many failed messages can wait for their redelivery while the next
 * ones are handled; more failing at once means something they share is down,
 * and then holding back the rest is the right thing. The bus runs at most
 * `maxInFlight` handlers itself and queues the rest, in order.
 */
export const STAN_RETRY_SLOTS = 8;

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
  private readonly state = new ConnectionState();
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
    client.on('connect', () => this.state.markUp());
    client.on('reconnect', () => this.state.markUp());
    client.on('disconnect', () => this.state.markDown());
    // After connection_lost, or a close nobody asked for, node-nats-streaming is
    // closed for good. A new client would not help: the server refuses a client
    // id it still holds until it has noticed the old one is gone. So the bus
    // reports itself lost, and the service exits so that Kubernetes restarts it
    // with its usual backoff.
    client.on('connection_lost', (err: unknown) => {
      this.logger.error({ err }, 'NATS Streaming connection lost');
      this.state.markLost(err instanceof Error ? err : new Error(`NATS Streaming connection lost: ${String(err)}`));
    });
    client.on('close', () => {
      this.clientClosed = true;
      if (this.closing || this.state.lost) {
        this.state.markDown();
        return;
      }
      this.logger.error('NATS Streaming client closed on its own');
      this.state.markLost(new Error('the NATS Streaming client closed on its own'));
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
    const [url, ...others] = typeof options.url === 'string' ? [options.url] : options.url;
    if (url === undefined) throw new RangeError('StanBus.connect needs at least one NATS URL');
    const client = nats.connect(options.clusterId, options.clientId, {
      // node-nats-streaming defaults `url` to localhost, and its NATS client
      // (nats 1.x) tries `url` first, then `servers` in random order: so the
      // first server goes in `url`, the others in `servers`.
      url,
      servers: others,
      ...stanAuthOptions(options.auth),
    });
    const bus = new StanBus(client, options.logger);
    await Promise.race([
      once(client, 'connect'),
      once(client, 'error').then(([err]: unknown[]) => {
        throw err;
      }),
    ]);
    bus.state.markUp();
    wrapped.set(client, bus);
    return bus;
  }

  /**
   * Subscribes as a durable queue member. The server may hand over
   * `spec.maxInFlight` + {@link STAN_RETRY_SLOTS} unacked messages; at most
   * `spec.maxInFlight` handlers run at once, the rest wait here in order.
   */
  async subscribe(spec: SubscriptionSpec, handler: MessageHandler): Promise<EventSubscription> {
    const options = this.client
      .subscriptionOptions()
      .setDeliverAllAvailable()
      .setManualAckMode(true)
      .setAckWait(spec.ackWait)
      .setMaxInFlight(spec.maxInFlight + STAN_RETRY_SLOTS)
      .setDurableName(spec.queueGroupName);
    const subscription = this.client.subscribe(spec.subject, spec.queueGroupName, options);
    const waiting: { raw: StanMessage; receivedAt: number }[] = [];
    const inFlight = new Set<Promise<void>>();
    let stopped = false;
    const startWaiting = () => {
      while (!stopped && inFlight.size < spec.maxInFlight && waiting.length > 0) {
        const { raw, receivedAt } = waiting.shift() as (typeof waiting)[number];
        if (Date.now() - receivedAt >= spec.ackWait) {
          // The server redelivers it anyway; handling this copy too would handle it twice.
          this.logger.warn(
            { subject: spec.subject, sequence: raw.getSequence(), ackWait: spec.ackWait },
            'message waited here past its ack wait; skipped, the server redelivers it',
          );
          continue;
        }
        const work: Promise<void> = handler(new StanEventMessage(raw, this.deliveries))
          // The handler is built not to throw. If it still does, log it: an
          // exception escaping this callback would kill the client (nats-io/stan.js#200).
          .catch((err: unknown) => this.logger.error({ err, subject: spec.subject }, 'message handler failed'))
          .finally(() => {
            inFlight.delete(work);
            startWaiting();
          });
        inFlight.add(work);
      }
    };
    subscription.on('message', (raw: StanMessage) => {
      waiting.push({ raw, receivedAt: Date.now() });
      startWaiting();
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
        // Messages not started stay unacked and go to another member, or come back.
        stopped = true;
        waiting.length = 0;
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

  /**
   * Publishes one message. NATS Streaming has neither message ids nor headers,
   * so `PublishOptions` are ignored: a correlation id in `headers` does not
   * reach the listeners (they log the entity's id instead).
   */
  publish(subject: string, payload: string, _options?: PublishOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      this.client.publish(subject, payload, (err) => (err ? reject(err) : resolve()));
    });
  }

  isConnected(): boolean {
    return this.state.up;
  }

  downForMs(): number {
    return this.state.downForMs();
  }

  onLost(callback: (err: Error) => void): void {
    this.state.onLost(callback);
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

  /** NATS Streaming messages have no headers. */
  getHeader(): undefined {
    return undefined;
  }

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
