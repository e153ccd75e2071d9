import { ConfigError } from '@grider-ms-tickets/common';
import { loadExpirationConfig } from '../config';

describe('loadExpirationConfig', () => {
  it('applies the defaults: stan, Redis port 6379, concurrency 50, HTTP on 8080, 24 h retention', () => {
    const config = loadExpirationConfig({
      NATS_URL: 'http://nats-srv:4222',
      NATS_CLUSTER_ID: 'ticketing',
      NATS_CLIENT_ID: 'expiration-1',
      REDIS_HOST: 'expiration-redis-srv',
    });

    expect(config.eventBus).toEqual({
      kind: 'stan',
      url: 'http://nats-srv:4222',
      clusterId: 'ticketing',
      clientId: 'expiration-1',
    });
    expect(config.redis).toEqual({ host: 'expiration-redis-srv', port: 6379, password: undefined });
    expect(config.concurrency).toBe(50);
    expect(config.healthPort).toBe(8080);
    expect(config.retentionSeconds).toBe(24 * 60 * 60);
  });

  it('reads JetStream settings', () => {
    const config = loadExpirationConfig({
      EVENT_BUS: 'jetstream',
      NATS_URL: 'nats://nats:4222',
      NATS_STREAM: 'tickets',
      REDIS_HOST: 'redis',
      REDIS_PASSWORD: 's3cret',
    });

    expect(config.eventBus).toMatchObject({ kind: 'jetstream', url: 'nats://nats:4222', stream: 'tickets' });
    expect(config.redis.password).toBe('s3cret');
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadExpirationConfig({
        EVENT_BUS: 'stan',
        NATS_URL: 'nats-srv',
        REDIS_PORT: '99999',
        EXPIRATION_CONCURRENCY: 'lots',
        HEALTH_PORT: '-1',
      });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    for (const name of [
      'NATS_URL',
      'NATS_CLUSTER_ID',
      'NATS_CLIENT_ID',
      'REDIS_HOST',
      'REDIS_PORT',
      'EXPIRATION_CONCURRENCY',
      'HEALTH_PORT',
    ]) {
      expect(problems).toContain(name);
    }
  });
});
