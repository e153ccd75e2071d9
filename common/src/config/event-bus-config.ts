import { z } from 'zod';
import { envEnum, envOptionalString, envString, envUrl } from './env';

/** The variables every service reads to reach its event bus. */
export const eventBusEnvShape = {
  /** `stan` (NATS Streaming, the default) or `jetstream`. */
  EVENT_BUS: envEnum(['stan', 'jetstream'], 'stan'),
  /** The NATS server. The course writes `http://nats-srv:4222`, which is accepted. */
  NATS_URL: envUrl(['nats:', 'tls:', 'http:']),
  /** NATS Streaming: the server's cluster id. */
  NATS_CLUSTER_ID: envOptionalString(),
  /** NATS Streaming: this process's client id, unique per pod. */
  NATS_CLIENT_ID: envOptionalString(),
  /** JetStream: the stream's name. */
  NATS_STREAM: envString({ default: 'ticketing' }).refine(
    (name) => /^[^\s.*>/\\]+$/.test(name),
    'must not contain spaces, dots, *, >, / or \\',
  ),
  /** JetStream: a prefix put in front of every subject on the wire. */
  NATS_SUBJECT_PREFIX: envOptionalString(),
};

type EventBusEnv = z.output<z.ZodObject<typeof eventBusEnvShape>>;

/** How to reach the event bus, as {@link NatsWrapper.connect} takes it. */
export type EventBusConfig =
  | { kind: 'stan'; url: string; clusterId: string; clientId: string }
  | { kind: 'jetstream'; url: string; stream: string; subjectPrefix?: string; name?: string };

/**
 * Adds the rules between variables: NATS Streaming needs a cluster and a client
 * id. They are checked even when other variables are bad, so one message names
 * every problem.
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
  return schema
    .refine((env: Partial<EventBusEnv>) => !isStan(env) || !!env.NATS_CLUSTER_ID, needs('NATS_CLUSTER_ID'))
    .refine((env: Partial<EventBusEnv>) => !isStan(env) || !!env.NATS_CLIENT_ID, needs('NATS_CLIENT_ID'));
}

/**
 * @param env - validated variables
 * @param name - the connection name shown by the server, such as the pod name
 * @returns how to connect
 */
export function eventBusConfig(env: EventBusEnv, name?: string): EventBusConfig {
  if (env.EVENT_BUS === 'jetstream') {
    return {
      kind: 'jetstream',
      // The NATS client takes nats:// or a bare host; the course's http:// means the same server.
      url: env.NATS_URL.replace(/^http:/, 'nats:'),
      stream: env.NATS_STREAM,
      subjectPrefix: env.NATS_SUBJECT_PREFIX,
      name: name ?? env.NATS_CLIENT_ID,
    };
  }
  return {
    kind: 'stan',
    url: env.NATS_URL,
    // withEventBusRules guarantees both for stan.
    clusterId: env.NATS_CLUSTER_ID as string,
    clientId: env.NATS_CLIENT_ID as string,
  };
}
