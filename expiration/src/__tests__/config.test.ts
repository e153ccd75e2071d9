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
      replicaWait: { replicas: 0, timeoutMs: 1_000 },
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

  describe('Redis through Sentinel', () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222' };
    const problemsOf = (vars: NodeJS.ProcessEnv): readonly string[] => {
      try {
        loadExpirationConfig({ ...env, ...vars });
      } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
      }
      return [];
    };

    it('reads the sentinels, the master name and both passwords instead of REDIS_HOST', () => {
      const config = loadExpirationConfig({
        ...env,
        REDIS_SENTINELS: ' redis-sentinel-0:26379, redis-sentinel-1:26380 ,[::1]:26381,',
        REDIS_SENTINEL_NAME: 'mymaster',
        REDIS_SENTINEL_PASSWORD: 'sentinel-secret',
        REDIS_PASSWORD: 'data-secret',
      });

      expect(config.redis).toMatchObject({
        sentinel: {
          sentinels: [
            { host: 'redis-sentinel-0', port: 26379 },
            { host: 'redis-sentinel-1', port: 26380 },
            { host: '::1', port: 26381 },
          ],
          name: 'mymaster',
          password: 'sentinel-secret',
        },
        password: 'data-secret',
        host: 'redis-sentinel-0',
        port: 26379,
      });
    });

    it('keeps a single Redis without sentinel settings', () => {
      const { redis } = loadExpirationConfig({ ...env, REDIS_HOST: 'redis', REDIS_PORT: '6380' });

      expect(redis).toMatchObject({ host: 'redis', port: 6380 });
      expect(redis.sentinel).toBeUndefined();
    });

    it.each([
      [{ REDIS_HOST: 'redis' }, ['REDIS_HOST: must not be set together with REDIS_SENTINELS']],
      [{ REDIS_PORT: '6379' }, ['REDIS_PORT: must not be set together with REDIS_SENTINELS']],
      [
        { REDIS_HOST: 'redis', REDIS_PORT: '6379' },
        ['REDIS_HOST: must not be set together with REDIS_SENTINELS', 'REDIS_PORT: must not be set together'],
      ],
    ])('refuses a single Redis beside the sentinels (%j), naming both kinds', (single, expected) => {
      const problems = problemsOf({ REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'mymaster', ...single });

      expect(problems).toHaveLength(expected.length);
      expected.forEach((start, i) => expect(problems[i]).toContain(start));
      expect(problems.join('\n')).toContain('REDIS_SENTINEL_NAME');
    });

    it('takes blank REDIS_HOST and REDIS_PORT as unset beside the sentinels', () => {
      expect(
        problemsOf({ REDIS_HOST: ' ', REDIS_PORT: '', REDIS_SENTINELS: 's:26379', REDIS_SENTINEL_NAME: 'm' }),
      ).toEqual([]);
    });

    it('requires REDIS_SENTINEL_NAME with REDIS_SENTINELS', () => {
      expect(problemsOf({ REDIS_SENTINELS: 's:26379' })).toEqual([
        'REDIS_SENTINEL_NAME: is required when REDIS_SENTINELS is set',
      ]);
    });

    it('refuses the sentinel settings without REDIS_SENTINELS', () => {
      expect(problemsOf({ REDIS_HOST: 'redis', REDIS_SENTINEL_NAME: 'm', REDIS_SENTINEL_PASSWORD: 'p' })).toEqual([
        'REDIS_SENTINEL_NAME: is only used with REDIS_SENTINELS, which is not set',
        'REDIS_SENTINEL_PASSWORD: is only used with REDIS_SENTINELS, which is not set',
      ]);
    });

    it('still says REDIS_HOST is required when neither kind is given', () => {
      expect(problemsOf({})).toEqual(['REDIS_HOST: is required']);
    });

    it.each(['s:26379,sentinel-1', 's:26379,s:0', 's:26379,s:65536', 's:26379,a b:1', 's:26379,::1:26379', 's:x'])(
      'names REDIS_SENTINELS and the malformed entry of %j',
      (value) => {
        const bad = value.split(',')[1] ?? value;

        expect(problemsOf({ REDIS_SENTINELS: value, REDIS_SENTINEL_NAME: 'm' })).toEqual([
          `REDIS_SENTINELS: the entry "${bad}" is not host:port (a port from 1 to 65535)`,
        ]);
      },
    );

    it('refuses a REDIS_SENTINELS with no entry', () => {
      expect(problemsOf({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_NAME: 'm' })).toEqual([
        'REDIS_SENTINELS: lists no sentinel',
      ]);
    });
  });

  describe('REDIS_WAIT_REPLICAS', () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: 'nats://nats:4222', REDIS_HOST: 'redis' };

    it('lets a command timeout under the WAIT timeout be when nothing waits for replicas', () => {
      expect(loadExpirationConfig({ ...env, REDIS_COMMAND_TIMEOUT_MS: '500' }).redis.replicaWait).toEqual({
        replicas: 0,
        timeoutMs: 1_000,
      });
    });

    it('reads the replicas and the timeout', () => {
      expect(
        loadExpirationConfig({ ...env, REDIS_WAIT_REPLICAS: '2', REDIS_WAIT_TIMEOUT_MS: '300' }).redis.replicaWait,
      ).toEqual({ replicas: 2, timeoutMs: 300 });
    });

    it.each([
      [{ REDIS_WAIT_REPLICAS: '-1' }, /^REDIS_WAIT_REPLICAS: must be an integer from 0 to 100$/],
      [{ REDIS_WAIT_TIMEOUT_MS: '0' }, /^REDIS_WAIT_TIMEOUT_MS: must be an integer of at least 1$/],
      [
        { REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '5000' },
        /^REDIS_WAIT_TIMEOUT_MS: must be less than REDIS_COMMAND_TIMEOUT_MS \(5000\)/,
      ],
      [
        { REDIS_WAIT_REPLICAS: '1', REDIS_WAIT_TIMEOUT_MS: '900', REDIS_COMMAND_TIMEOUT_MS: '800' },
        /^REDIS_WAIT_TIMEOUT_MS: must be less than REDIS_COMMAND_TIMEOUT_MS \(800\)/,
      ],
    ])('refuses %j', (vars, message) => {
      let error: unknown;
      try {
        loadExpirationConfig({ ...env, ...vars });
      } catch (err) {
        error = err;
      }

      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual([expect.stringMatching(message)]);
    });
  });
});
