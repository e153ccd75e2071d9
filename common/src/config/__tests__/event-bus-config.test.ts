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
      servers: ['nats://nats-srv:4222'],
      stream: 'tickets',
      subjectPrefix: 'staging.',
      name: 'pod-1',
      maxAgeMs: 7 * 24 * 3_600_000,
      maxBytes: 2 ** 30,
      replicas: 1,
      maxDeliveries: 10,
      downGraceMs: 60_000,
    });
    expect(eventBusConfig(env, 'orders-abc')).toMatchObject({ name: 'orders-abc' });
  });

  it('defaults the jetstream stream to ticketing and leaves nats:// alone', () => {
    const env = loadConfig(schema, { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k' });

    expect(eventBusConfig(env)).toEqual({
      kind: 'jetstream',
      url: 'nats://nats:4222',
      servers: ['nats://nats:4222'],
      stream: 'ticketing',
      subjectPrefix: undefined,
      name: undefined,
      maxAgeMs: 7 * 24 * 3_600_000,
      maxBytes: 2 ** 30,
      replicas: 1,
      maxDeliveries: 10,
      downGraceMs: 60_000,
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
      servers: ['http://nats-srv:4222'],
      clusterId: 'ticketing',
      clientId: 'pod-1',
      maxDeliveries: 10,
      downGraceMs: 60_000,
    });
  });

  it('reads the delivery limit, the down grace and the stream limits', () => {
    const env = loadConfig(schema, {
      EVENT_BUS: 'jetstream',
      NATS_URL: 'nats://nats:4222',
      JWT_KEY: 'k',
      EVENT_MAX_DELIVERIES: '3',
      EVENT_BUS_DOWN_GRACE_SECONDS: '15',
      NATS_STREAM_MAX_AGE: '90m',
      NATS_STREAM_MAX_BYTES: '512MiB',
    });

    expect(eventBusConfig(env)).toMatchObject({
      maxDeliveries: 3,
      downGraceMs: 15_000,
      maxAgeMs: 90 * 60_000,
      maxBytes: 512 * 2 ** 20,
    });
  });
});

describe('NATS_URL with the servers of a cluster', () => {
  const jetstream = { EVENT_BUS: 'jetstream', JWT_KEY: 'k' };

  it('gives jetstream every server, in the order listed, spaces dropped and http:// read as nats://', () => {
    const env = loadConfig(schema, {
      ...jetstream,
      NATS_URL: 'nats://nats-0:4222, http://nats-1:4222 ,tls://nats-2:4222',
    });

    expect(eventBusConfig(env)).toMatchObject({
      url: 'nats://nats-0:4222',
      servers: ['nats://nats-0:4222', 'nats://nats-1:4222', 'tls://nats-2:4222'],
    });
  });

  it('gives stan every server as written', () => {
    const env = loadConfig(schema, {
      NATS_URL: 'http://nats-0:4222,http://nats-1:4222',
      NATS_CLUSTER_ID: 'ticketing',
      NATS_CLIENT_ID: 'pod-1',
      JWT_KEY: 'k',
    });

    expect(eventBusConfig(env)).toMatchObject({
      url: 'http://nats-0:4222',
      servers: ['http://nats-0:4222', 'http://nats-1:4222'],
    });
  });

  it('names the entry that is not a NATS URL, without its password', () => {
    expect(problems({ ...jetstream, NATS_URL: 'nats://a:4222,ftp://user:secret@b:21' })).toEqual([
      'NATS_URL: has the entry "ftp://…@b:21", which must be a URL starting with nats:// or tls:// or http://',
    ]);
  });

  it('names every bad entry, and an empty one', () => {
    expect(problems({ ...jetstream, NATS_URL: 'nats-0:4222,,nats://b:4222,' })).toEqual([
      'NATS_URL: has the entry "nats-0:4222", which must be a URL starting with nats:// or tls:// or http://',
      'NATS_URL: has an empty entry (two commas, or one at an end)',
      'NATS_URL: has an empty entry (two commas, or one at an end)',
    ]);
  });

  it('still requires it', () => {
    expect(problems({ ...jetstream, NATS_URL: ' ' })).toEqual(['NATS_URL: is required']);
  });
});

describe('NATS_STREAM_REPLICAS', () => {
  const jetstream = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k' };

  it('sets the replicas of the stream, 1 by default', () => {
    expect(eventBusConfig(loadConfig(schema, { ...jetstream, NATS_STREAM_REPLICAS: '3' }))).toMatchObject({
      replicas: 3,
    });
    expect(eventBusConfig(loadConfig(schema, jetstream))).toMatchObject({ replicas: 1 });
  });

  it.each(['0', '6', '2.5', 'three'])('refuses %s', (value) => {
    expect(problems({ ...jetstream, NATS_STREAM_REPLICAS: value })).toEqual([
      'NATS_STREAM_REPLICAS: must be an integer from 1 to 5',
    ]);
  });
});

describe('the limits of eventBusEnvShape', () => {
  const jetstream = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k' };

  it('names each bad limit in one message', () => {
    const env = {
      ...jetstream,
      EVENT_MAX_DELIVERIES: '0',
      EVENT_BUS_DOWN_GRACE_SECONDS: '0',
      NATS_STREAM_MAX_AGE: 'a week',
      NATS_STREAM_MAX_BYTES: '1GB',
    };

    expect(problems(env)).toEqual([
      'NATS_STREAM_MAX_AGE: must be a duration such as 7d, 168h, 90m or 3600s, or a number of seconds',
      'NATS_STREAM_MAX_BYTES: must be a size such as 1GiB or 512MiB, or a number of bytes',
      'EVENT_MAX_DELIVERIES: must be an integer of at least 1',
      'EVENT_BUS_DOWN_GRACE_SECONDS: must be an integer of at least 1',
    ]);
  });

  it('refuses a stream max age under an hour, and says why', () => {
    expect(problems({ ...jetstream, NATS_STREAM_MAX_AGE: '59m' })).toEqual([
      'NATS_STREAM_MAX_AGE: must be at least 1h (a shorter age drops events that a listener which is down or retrying has not handled yet)',
    ]);
  });

  it('refuses a stream max bytes under 1 MiB, and says why', () => {
    expect(problems({ ...jetstream, NATS_STREAM_MAX_BYTES: '1000' })).toEqual([
      'NATS_STREAM_MAX_BYTES: must be at least 1MiB (the stream must hold at least one event of the largest size NATS accepts)',
    ]);
  });
});

describe('NATS credentials', () => {
  const jetstream = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', JWT_KEY: 'k' };
  const stan = { NATS_URL: 'nats://nats:4222', NATS_CLUSTER_ID: 'ticketing', NATS_CLIENT_ID: 'pod-1', JWT_KEY: 'k' };

  it('without any, connects without credentials', () => {
    expect(eventBusConfig(loadConfig(schema, jetstream)).auth).toBeUndefined();
  });

  it('carries a user and its password, kept exactly as given, to either transport', () => {
    const credentials = { NATS_USER: 'orders', NATS_PASSWORD: ' s3cret ' };

    expect(eventBusConfig(loadConfig(schema, { ...jetstream, ...credentials })).auth).toEqual({
      user: 'orders',
      password: ' s3cret ',
    });
    expect(eventBusConfig(loadConfig(schema, { ...stan, ...credentials })).auth).toEqual({
      user: 'orders',
      password: ' s3cret ',
    });
  });

  it('carries a credentials file', () => {
    const env = loadConfig(schema, { ...jetstream, NATS_CREDS: '/var/run/nats/orders.creds' });

    expect(eventBusConfig(env).auth).toEqual({ credsFile: '/var/run/nats/orders.creds' });
  });

  it('refuses a user without a password, naming both', () => {
    expect(problems({ ...jetstream, NATS_USER: 'orders' })).toEqual([
      'NATS_PASSWORD: is required when NATS_USER is set',
    ]);
  });

  it('refuses a password without a user, naming both', () => {
    expect(problems({ ...stan, NATS_PASSWORD: 's3cret' })).toEqual([
      'NATS_USER: is required when NATS_PASSWORD is set',
    ]);
  });

  it('refuses a user and a credentials file together', () => {
    expect(problems({ ...jetstream, NATS_USER: 'orders', NATS_PASSWORD: 'p', NATS_CREDS: '/x.creds' })).toEqual([
      'NATS_CREDS: must not be set together with NATS_USER: give a user and password, or a credentials file',
    ]);
  });

  it('refuses a user name that is not one subject token, with the other problems', () => {
    expect(problems({ ...jetstream, NATS_URL: 'ftp://x', NATS_USER: 'orders.svc', NATS_PASSWORD: 'p' })).toEqual([
      'NATS_URL: must be a URL starting with nats:// or tls:// or http://',
      "NATS_USER: must be letters, digits, _ or - (it names the user's reply subjects, _INBOX.<user>.…)",
    ]);
  });
});
