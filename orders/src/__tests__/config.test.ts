import { ConfigError } from '@grider-ms-tickets/common';
import { MIN_JWT_KEY_BYTES, loadOrdersConfig } from '../config';

const LONG_KEY = 'k'.repeat(MIN_JWT_KEY_BYTES);

/** A valid environment with the memory store and JetStream, changed by `overrides`. */
function env(overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ORDERS_STORE: 'memory',
    EVENT_BUS: 'jetstream',
    NATS_URL: 'nats://127.0.0.1:4222',
    JWT_KEY: LONG_KEY,
    ...overrides,
  };
}

/** The problems a ConfigError names, or [] when the env loads. */
function problemsOf(variables: NodeJS.ProcessEnv): readonly string[] {
  try {
    loadOrdersConfig(variables);
    return [];
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
}

describe('loadOrdersConfig', () => {
  it('fills in the defaults of the sweeper, the proxy, the shutdown and the session age', () => {
    const config = loadOrdersConfig(env());

    expect(config).toMatchObject({
      sweepIntervalSeconds: 30,
      expirationGraceSeconds: 60,
      trustProxyHops: 1,
      shutdownTimeoutSeconds: 20,
      jwtMaxAgeSeconds: undefined,
      warnings: [],
    });
  });

  it('reads the sweeper, proxy and shutdown variables', () => {
    const config = loadOrdersConfig(
      env({
        ORDERS_SWEEP_INTERVAL_SECONDS: '5',
        EXPIRATION_GRACE_SECONDS: '0',
        TRUST_PROXY_HOPS: '2',
        SHUTDOWN_TIMEOUT_SECONDS: '15',
      }),
    );

    expect(config).toMatchObject({
      sweepIntervalSeconds: 5,
      expirationGraceSeconds: 0,
      trustProxyHops: 2,
      shutdownTimeoutSeconds: 15,
    });
  });

  it('names every bad sweeper, proxy and shutdown variable', () => {
    expect(
      problemsOf(
        env({
          ORDERS_SWEEP_INTERVAL_SECONDS: '0',
          EXPIRATION_GRACE_SECONDS: '-1',
          TRUST_PROXY_HOPS: 'true',
          SHUTDOWN_TIMEOUT_SECONDS: '0',
        }),
      ),
    ).toEqual([
      'TRUST_PROXY_HOPS: must be an integer from 0 to 100',
      'ORDERS_SWEEP_INTERVAL_SECONDS: must be an integer of at least 1',
      'EXPIRATION_GRACE_SECONDS: must be an integer of at least 0',
      'SHUTDOWN_TIMEOUT_SECONDS: must be an integer from 1 to 3600',
    ]);
  });

  describe('JWT_KEY', () => {
    it('is used exactly as given, surrounding whitespace included', () => {
      const key = `  ${LONG_KEY}\n`;

      expect(loadOrdersConfig(env({ JWT_KEY: key })).jwtKey).toBe(key);
    });

    it('is still required: unset or blank stops start-up', () => {
      expect(problemsOf(env({ JWT_KEY: undefined }))).toEqual(['JWT_KEY: is required']);
      expect(problemsOf(env({ JWT_KEY: '   ' }))).toEqual(['JWT_KEY: is required']);
    });

    it('in production, stops start-up when shorter than 32 bytes, naming JWT_KEY', () => {
      expect(problemsOf(env({ NODE_ENV: 'production', JWT_KEY: 'k'.repeat(MIN_JWT_KEY_BYTES - 1) }))).toEqual([
        'JWT_KEY: must be at least 32 bytes when NODE_ENV is production',
      ]);
    });

    it('counts bytes, not characters', () => {
      // 16 characters of 2 bytes each in UTF-8.
      expect(problemsOf(env({ NODE_ENV: 'production', JWT_KEY: 'é'.repeat(16) }))).toEqual([]);
    });

    it('in production, accepts a key of 32 bytes or more without a warning', () => {
      expect(loadOrdersConfig(env({ NODE_ENV: 'production' })).warnings).toEqual([]);
    });

    it('elsewhere, accepts a short key with a warning that names JWT_KEY', () => {
      const config = loadOrdersConfig(env({ NODE_ENV: 'development', JWT_KEY: 'dev-key' }));

      expect(config.jwtKey).toBe('dev-key');
      expect(config.warnings).toEqual([expect.stringContaining('JWT_KEY is 7 bytes')]);
    });

    it('in production, is named together with every other bad variable', () => {
      expect(problemsOf(env({ NODE_ENV: 'production', JWT_KEY: 'short', PORT: 'x' }))).toEqual([
        'PORT: must be an integer from 1 to 65535',
        'JWT_KEY: must be at least 32 bytes when NODE_ENV is production',
      ]);
    });
  });

  describe('JWT_MAX_AGE', () => {
    it.each([
      ['3600', 3600],
      ['1h', 3600],
      ['7d', 604_800],
    ])('reads %p as %p seconds', (value, seconds) => {
      expect(loadOrdersConfig(env({ JWT_MAX_AGE: value })).jwtMaxAgeSeconds).toBe(seconds);
    });

    it('is unset when blank', () => {
      expect(loadOrdersConfig(env({ JWT_MAX_AGE: '' })).jwtMaxAgeSeconds).toBeUndefined();
    });

    it.each(['forever', '0', '1.5h'])('stops start-up for %p, naming JWT_MAX_AGE', (value) => {
      expect(problemsOf(env({ JWT_MAX_AGE: value }))).toEqual([expect.stringMatching(/^JWT_MAX_AGE: /)]);
    });
  });
});
