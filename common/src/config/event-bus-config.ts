import { z } from 'zod';
import { blankToUndefined, envEnum, envInt, envOptionalString, envString, envUrlList } from './env';
import { envByteSize } from './env-byte-size';
import { envDuration } from './env-duration';
import { DEFAULT_DOWN_GRACE_MS, DEFAULT_MAX_DELIVERIES, DEFAULT_STREAM_REPLICAS } from './event-bus-defaults';

/**
 * A NATS user name. It also names the user's reply subjects on JetStream
 * (`_INBOX.<user>.…`, see {@link NatsAuth}), so it must be one subject token.
 */
const NATS_USER_PATTERN = /^[A-Za-z0-9_-]+$/;

/** A secret used exactly as given: a password with a trailing space is another password. */
const envSecret = () => z.preprocess(blankToUndefined, z.string().optional());

/** The variables every service reads to reach its event bus. */
export const eventBusEnvShape = {
  /** `stan` (NATS Streaming, the default) or `jetstream`. */
  EVENT_BUS: envEnum(['stan', 'jetstream'], 'stan'),
  /**
   * The NATS server, or the servers of a cluster separated by commas. The
   * course writes `http://nats-srv:4222`, which is accepted.
   */
  NATS_URL: envUrlList(['nats:', 'tls:', 'http:']),
  /** NATS Streaming: the server's cluster id. */
  NATS_CLUSTER_ID: envOptionalString(),
  /** NATS Streaming: this process's client id, unique per pod. */
  NATS_CLIENT_ID: envOptionalString(),
  /** JetStream: the stream's name. */
  NATS_STREAM: envString({ default: 'ticketing' }).refine(
    (name) => /^[^\s.*>/\\]+$/.test(name),
    'must not contain spaces, dots, *, >, / or \\',
  ),
  /** The NATS user this service connects as; needs NATS_PASSWORD. */
  NATS_USER: envOptionalString().refine(
    (user) => user === undefined || NATS_USER_PATTERN.test(user),
    "must be letters, digits, _ or - (it names the user's reply subjects, _INBOX.<user>.…)",
  ),
  /** The password of NATS_USER, from a Secret. */
  NATS_PASSWORD: envSecret(),
  /** Instead of a user and password: the path of a NATS credentials file (JWT and nkey seed). */
  NATS_CREDS: envOptionalString(),
  /** JetStream: a prefix put in front of every subject on the wire. */
  NATS_SUBJECT_PREFIX: envOptionalString(),
  /** JetStream: how long the stream keeps a message, such as `7d`, `168h` or `3600s`. */
  NATS_STREAM_MAX_AGE: envDuration({
    default: '7d',
    min: '1h',
    minReason: 'a shorter age drops events that a listener which is down or retrying has not handled yet',
  }),
  /** JetStream: how large the stream may grow, such as `1GiB` or `512MiB`; the oldest messages go first. */
  NATS_STREAM_MAX_BYTES: envByteSize({
    default: '1GiB',
    min: '1MiB',
    minReason: 'the stream must hold at least one event of the largest size NATS accepts',
  }),
  /** JetStream: how many servers of a cluster keep a copy of the stream. */
  NATS_STREAM_REPLICAS: envInt({ min: 1, max: 5, default: DEFAULT_STREAM_REPLICAS }),
  /** Deliveries of one message before a listener dead-letters it. */
  EVENT_MAX_DELIVERIES: envInt({ min: 1, default: DEFAULT_MAX_DELIVERIES }),
  /** Seconds the bus may be down before the liveness probe fails and the pod is restarted. */
  EVENT_BUS_DOWN_GRACE_SECONDS: envInt({ min: 1, default: DEFAULT_DOWN_GRACE_MS / 1000 }),
};

type EventBusEnv = z.output<z.ZodObject<typeof eventBusEnvShape>>;

/** What a service does with its bus, whichever the transport. */
export interface EventBusPolicy {
  /** Deliveries of one message before a listener dead-letters it: pass it to each listener's options. */
  maxDeliveries: number;
  /** How long the bus may be down before the liveness probe fails: pass it to {@link busLiveness}. */
  downGraceMs: number;
}

/**
 * How a service proves who it is to NATS: a user and password, or a
 * credentials file. With a user on JetStream, the client's reply subjects are
 * `_INBOX.<user>.…` rather than `_INBOX.…`, so that the server can let each
 * user subscribe to its own replies only.
 */
export type NatsAuth = { user: string; password: string } | { credsFile: string };

/** Where NATS is: one server, or the servers of a cluster. */
export interface NatsServers {
  /** The first server of NATS_URL; the only one, unless it lists several. */
  url: string;
  /**
   * Every server NATS_URL lists, `url` first. The client connects to one of
   * them and, when it loses it, reconnects to another.
   *
   * @defaultValue `[url]`
   */
  servers?: string[];
}

/**
 * @param config - a config with one server or several
 * @returns every server to give the NATS client
 */
export function natsServersOf(config: NatsServers): string[] {
  return config.servers ?? [config.url];
}

/** How to reach NATS Streaming. */
export interface StanBusConfig extends EventBusPolicy, NatsServers {
  kind: 'stan';
  clusterId: string;
  clientId: string;
  /** Unset: connect without credentials. */
  auth?: NatsAuth;
}

/** How to reach NATS JetStream, and the limits of the stream it creates. */
export interface JetStreamBusConfig extends EventBusPolicy, NatsServers {
  kind: 'jetstream';
  stream: string;
  subjectPrefix?: string;
  name?: string;
  /** The stream's `max_age`, in milliseconds. */
  maxAgeMs: number;
  /** The stream's `max_bytes`. */
  maxBytes: number;
  /** The stream's `num_replicas`. */
  replicas: number;
  /** Unset: connect without credentials. */
  auth?: NatsAuth;
}

/** How to reach the event bus and what to do with it, as {@link eventBusConfig} reads it from the environment. */
export type EventBusConfig = StanBusConfig | JetStreamBusConfig;

/**
 * What connecting takes: an {@link EventBusConfig}, or only its connection
 * fields, the stream limits then taking their defaults.
 */
export type EventBusConnectConfig =
  | Omit<StanBusConfig, keyof EventBusPolicy>
  | (Omit<JetStreamBusConfig, keyof EventBusPolicy | 'maxAgeMs' | 'maxBytes' | 'replicas'> &
      Partial<Pick<JetStreamBusConfig, 'maxAgeMs' | 'maxBytes' | 'replicas'>>);

/**
 * Adds the rules between variables: NATS Streaming needs a cluster and a client
 * id; a NATS user needs its password and the other way round; a credentials
 * file excludes a user. They are checked even when other variables are bad, so
 * one message names every problem.
 *
 * @param schema - an object schema that includes {@link eventBusEnvShape}
 * @returns the schema with the rules
 */
export function withEventBusRules<S extends z.ZodObject<typeof eventBusEnvShape>>(schema: S) {
  const needs = (key: 'NATS_CLUSTER_ID' | 'NATS_CLIENT_ID') => ({
    path: [key],
    message: 'is required when EVENT_BUS is stan',
    when: () => true,
  });
  const isStan = (env: Partial<EventBusEnv>) => (env.EVENT_BUS ?? 'stan') === 'stan';
  const credential = (key: 'NATS_USER' | 'NATS_PASSWORD' | 'NATS_CREDS', message: string) => ({
    path: [key],
    message,
    when: () => true,
  });
  return schema
    .refine((env: Partial<EventBusEnv>) => !isStan(env) || !!env.NATS_CLUSTER_ID, needs('NATS_CLUSTER_ID'))
    .refine((env: Partial<EventBusEnv>) => !isStan(env) || !!env.NATS_CLIENT_ID, needs('NATS_CLIENT_ID'))
    .refine(
      (env: Partial<EventBusEnv>) => !env.NATS_USER || env.NATS_PASSWORD !== undefined,
      credential('NATS_PASSWORD', 'is required when NATS_USER is set'),
    )
    .refine(
      (env: Partial<EventBusEnv>) => env.NATS_PASSWORD === undefined || !!env.NATS_USER,
      credential('NATS_USER', 'is required when NATS_PASSWORD is set'),
    )
    .refine(
      (env: Partial<EventBusEnv>) => !env.NATS_USER || !env.NATS_CREDS,
      credential(
        'NATS_CREDS',
        'must not be set together with NATS_USER: give a user and password, or a credentials file',
      ),
    );
}

/**
 * @param env - validated variables
 * @returns the credentials they give, if any
 */
function natsAuth(env: EventBusEnv): { auth?: NatsAuth } {
  if (env.NATS_CREDS) return { auth: { credsFile: env.NATS_CREDS } };
  // withEventBusRules guarantees the password of a user.
  if (env.NATS_USER) return { auth: { user: env.NATS_USER, password: env.NATS_PASSWORD as string } };
  return {};
}

/**
 * @param env - validated variables
 * @param name - the connection name shown by the server, such as the pod name
 * @returns how to connect
 */
export function eventBusConfig(env: EventBusEnv, name?: string): EventBusConfig {
  const policy: EventBusPolicy = {
    maxDeliveries: env.EVENT_MAX_DELIVERIES,
    downGraceMs: env.EVENT_BUS_DOWN_GRACE_SECONDS * 1000,
  };
  if (env.EVENT_BUS === 'jetstream') {
    // The NATS client takes nats:// or a bare host; the course's http:// means the same server.
    const servers = env.NATS_URL.map((url) => url.replace(/^http:/, 'nats:'));
    return {
      kind: 'jetstream',
      url: servers[0],
      servers,
      stream: env.NATS_STREAM,
      subjectPrefix: env.NATS_SUBJECT_PREFIX,
      name: name ?? env.NATS_CLIENT_ID,
      maxAgeMs: env.NATS_STREAM_MAX_AGE,
      maxBytes: env.NATS_STREAM_MAX_BYTES,
      replicas: env.NATS_STREAM_REPLICAS,
      ...natsAuth(env),
      ...policy,
    };
  }
  return {
    kind: 'stan',
    url: env.NATS_URL[0],
    servers: env.NATS_URL,
    // withEventBusRules guarantees both for stan.
    clusterId: env.NATS_CLUSTER_ID as string,
    clientId: env.NATS_CLIENT_ID as string,
    ...natsAuth(env),
    ...policy,
  };
}
