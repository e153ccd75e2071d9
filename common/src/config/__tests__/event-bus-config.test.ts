import { z } from 'zod';
import { ConfigError } from '../config-error';
import { envString, loadConfig } from '../env';
import { eventBusConfig, eventBusEnvShape, withEventBusRules } from '../event-bus-config';

const schema = withEventBusRules(z.object({ ...eventBusEnvShape, JWT_KEY: envString() }));

function problems(env: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('withEventBusRules', () => {
  it('requires NATS_CLUSTER_ID and NATS_CLIENT_ID for stan, the default bus', () => {
    expect(problems({ NATS_URL: 'http://nats-srv:4222', JWT_KEY: 'k' })).toEqual([
      'NATS_CLUSTER_ID: is required when EVENT_BUS is stan',
      'NATS_CLIENT_ID: is required when EVENT_BUS is stan',
    ]);
  });

  it('does not require them for jetstream', () => {
    expect(problems({ EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k' })).toEqual([]);
  });

  it('accepts stan with both ids', () => {
    const env = {
      NATS_URL: 'http://nats-srv:4222',
      NATS_CLUSTER_ID: 'ticketing',
      NATS_CLIENT_ID: 'pod-1',
      JWT_KEY: 'k',
    };

    expect(problems(env)).toEqual([]);
  });

  it('reports the missing ids together with the other bad variables', () => {
    expect(problems({ EVENT_BUS: 'stan', NATS_URL: 'ftp://x' })).toEqual([
      'NATS_URL: must be a URL starting with nats:// or tls:// or http://',
      'JWT_KEY: is required',
      'NATS_CLUSTER_ID: is required when EVENT_BUS is stan',
      'NATS_CLIENT_ID: is required when EVENT_BUS is stan',
    ]);
  });

  it('rejects a stream name NATS would refuse', () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k', NATS_STREAM: 'tick.eting' };

    expect(problems(env)).toEqual(['NATS_STREAM: must not contain spaces, dots, *, >, / or \\']);
  });
});

describe('eventBusConfig', () => {
  it('turns the course http:// URL into nats:// for jetstream, with stream, prefix and name', () => {
    const env = loadConfig(schema, {
      EVENT_BUS: 'jetstream',
      NATS_URL: 'http://nats-srv:4222',
      NATS_STREAM: 'tickets',
      NATS_SUBJECT_PREFIX: 'staging.',
      NATS_CLIENT_ID: 'pod-1',
      JWT_KEY: 'k',
    });

    expect(eventBusConfig(env)).toEqual({
      kind: 'jetstream',
      url: 'nats://nats-srv:4222',
      stream: 'tickets',
      subjectPrefix: 'staging.',
      name: 'pod-1',
    });
    expect(eventBusConfig(env, 'orders-abc')).toMatchObject({ name: 'orders-abc' });
  });

  it('defaults the jetstream stream to ticketing and leaves nats:// alone', () => {
    const env = loadConfig(schema, { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k' });

    expect(eventBusConfig(env)).toEqual({
      kind: 'jetstream',
      url: 'nats://nats:4222',
      stream: 'ticketing',
      subjectPrefix: undefined,
      name: undefined,
    });
  });

  it('gives stan its URL as written, with cluster and client ids', () => {
    const env = loadConfig(schema, {
      NATS_URL: 'http://nats-srv:4222',
      NATS_CLUSTER_ID: 'ticketing',
      NATS_CLIENT_ID: 'pod-1',
      JWT_KEY: 'k',
    });

    expect(eventBusConfig(env)).toEqual({
      kind: 'stan',
      url: 'http://nats-srv:4222',
      clusterId: 'ticketing',
      clientId: 'pod-1',
    });
  });
});
