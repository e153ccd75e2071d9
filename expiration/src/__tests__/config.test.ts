import { ConfigError } from '@grider-ms-tickets/common';
import { MIN_RETENTION_SECONDS, loadExpirationConfig } from '../config';

describe('loadExpirationConfig', () => {
  it('applies the defaults: stan, Redis port 6379 with a 5 s command timeout, concurrency 50, HTTP on 8080, 24 h retention', () => {
    const config = loadExpirationConfig({
      NATS_URL: 'http://nats-srv:4222',
      NATS_CLUSTER_ID: 'ticketing',
      NATS_CLIENT_ID: 'expiration-1',
      REDIS_HOST: 'expiration-redis-srv',
    });

    expect(config.eventBus).toEqual({
      kind: 'stan',
      url: 'http://nats-srv:4222',
      servers: ['http://nats-srv:4222'],
      clusterId: 'ticketing',
      clientId: 'expiration-1',
      maxDeliveries: 10,
      downGraceMs: 60_000,
    });
    expect(config.redis).toEqual({
      host: 'expiration-redis-srv',
      port: 6379,
      password: undefined,
      commandTimeoutMs: 5_000,
    });
    expect(config.concurrency).toBe(50);
    expect(config.healthPort).toBe(8080);
    expect(config.retentionSeconds).toBe(24 * 60 * 60);
    expect(config.shutdownTimeoutSeconds).toBe(25);
  });

  it('reads the shutdown budget and refuses one under a second', () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', REDIS_HOST: 'redis' };

    expect(loadExpirationConfig({ ...env, SHUTDOWN_TIMEOUT_SECONDS: '40' }).shutdownTimeoutSeconds).toBe(40);
    expect(() => loadExpirationConfig({ ...env, SHUTDOWN_TIMEOUT_SECONDS: '0' })).toThrow(/SHUTDOWN_TIMEOUT_SECONDS/);
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

  it('reads the Redis command timeout and refuses one under 100 ms', () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', REDIS_HOST: 'redis' };

    expect(loadExpirationConfig({ ...env, REDIS_COMMAND_TIMEOUT_MS: '250' }).redis.commandTimeoutMs).toBe(250);
    expect(() => loadExpirationConfig({ ...env, REDIS_COMMAND_TIMEOUT_MS: '99' })).toThrow(
      /REDIS_COMMAND_TIMEOUT_MS: must be an integer of at least 100/,
    );
  });

  it('accepts a retention of one hour or more', () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', REDIS_HOST: 'redis' };

    expect(loadExpirationConfig({ ...env, EXPIRATION_RETENTION_SECONDS: String(MIN_RETENTION_SECONDS) })).toMatchObject(
      { retentionSeconds: 3600 },
    );
  });

  it.each(['3599', '0', '-1'])('refuses a retention of %s seconds, saying why a short window is unsafe', (value) => {
    let error: unknown;
    try {
      loadExpirationConfig({
        EVENT_BUS: 'jetstream',
        NATS_URL: 'nats://nats:4222',
        REDIS_HOST: 'redis',
        EXPIRATION_RETENTION_SECONDS: value,
      });
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(ConfigError);
    const [problem] = (error as ConfigError).problems;
    expect(problem).toMatch(/^EXPIRATION_RETENTION_SECONDS: must be at least 3600: /);
    expect(problem).toContain('a second expiration');
    expect(problem).toContain('order:cancelled that arrived before its order:created');
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
        REDIS_COMMAND_TIMEOUT_MS: '10',
        EXPIRATION_RETENTION_SECONDS: '60',
        SHUTDOWN_TIMEOUT_SECONDS: 'soon',
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
      'REDIS_COMMAND_TIMEOUT_MS',
      'EXPIRATION_RETENTION_SECONDS',
      'SHUTDOWN_TIMEOUT_SECONDS',
    ]) {
      expect(problems).toContain(name);
    }
  });
});
