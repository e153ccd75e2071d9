import { z } from 'zod';
import { ConfigError } from '../config-error';
import {
  envEnum,
  envInt,
  envLogLevel,
  envOptionalInt,
  envOptionalString,
  envPort,
  envString,
  envUrl,
  loadConfig,
} from '../env';
import { envDurationSeconds } from '../env-duration';

/** The first problem of parsing `value` with `schema`, or undefined when it passes. */
function problemOf(schema: z.ZodType, value: unknown): string | undefined {
  return schema.safeParse(value).error?.issues[0]?.message;
}

describe('loadConfig', () => {
  const schema = z.object({
    JWT_KEY: envString(),
    PORT: envPort(3000),
    WORKERS: envInt({ min: 1, max: 8 }),
    MODE: envEnum(['a', 'b']),
  });

  it('returns the typed config, with defaults filled in', () => {
    const config = loadConfig(schema, { JWT_KEY: 'k', WORKERS: '4', MODE: 'b' });

    expect(config).toEqual({ JWT_KEY: 'k', PORT: 3000, WORKERS: 4, MODE: 'b' });
  });

  it('names every missing or malformed variable in one ConfigError', () => {
    const env = { PORT: 'http', WORKERS: '9', MODE: 'c' };

    const attempt = () => loadConfig(schema, env);

    expect(attempt).toThrow(ConfigError);
    let error: ConfigError | undefined;
    try {
      attempt();
    } catch (err) {
      error = err as ConfigError;
    }
    expect(error?.problems).toEqual([
      'JWT_KEY: is required',
      'PORT: must be an integer from 1 to 65535',
      'WORKERS: must be an integer from 1 to 8',
      'MODE: must be one of: a, b',
    ]);
    expect(error?.message).toBe(
      'invalid environment:\n' +
        '  - JWT_KEY: is required\n' +
        '  - PORT: must be an integer from 1 to 65535\n' +
        '  - WORKERS: must be an integer from 1 to 8\n' +
        '  - MODE: must be one of: a, b',
    );
    expect(error?.name).toBe('ConfigError');
    expect(error?.isOperational).toBe(true);
  });

  it('treats blank variables, as Kubernetes writes them, as unset', () => {
    const attempt = () => loadConfig(schema, { JWT_KEY: '  ', PORT: '', WORKERS: '', MODE: '' });

    expect(attempt).toThrow(
      expect.objectContaining({
        problems: ['JWT_KEY: is required', 'WORKERS: is required', 'MODE: must be one of: a, b'],
      }),
    );
  });

  it('reads process.env when no env is given', () => {
    process.env.COMMON_TEST_LOAD_CONFIG = 'from-process';

    try {
      expect(loadConfig(z.object({ COMMON_TEST_LOAD_CONFIG: envString() }))).toEqual({
        COMMON_TEST_LOAD_CONFIG: 'from-process',
      });
    } finally {
      delete process.env.COMMON_TEST_LOAD_CONFIG;
    }
  });
});

describe('envString', () => {
  it('trims the value and requires it unless it has a default', () => {
    expect(envString().parse('  abc ')).toBe('abc');
    expect(problemOf(envString(), undefined)).toBe('is required');
    expect(problemOf(envString(), '   ')).toBe('is required');
    expect(envString({ default: 'x' }).parse(undefined)).toBe('x');
  });

  it('with trim: false, keeps the value exactly as given', () => {
    expect(envString({ trim: false }).parse('  k e y \n')).toBe('  k e y \n');
    expect(envString({ trim: false, default: ' d ' }).parse(undefined)).toBe(' d ');
  });

  it('with trim: false, still treats a blank value as unset', () => {
    expect(problemOf(envString({ trim: false }), undefined)).toBe('is required');
    expect(problemOf(envString({ trim: false }), ' \t ')).toBe('is required');
  });
});

describe('envDurationSeconds', () => {
  it.each([
    ['3600', 3600],
    ['90s', 90],
    ['15m', 900],
    ['1h', 3600],
    ['7d', 604_800],
    [' 2 h ', 7200],
  ])('reads %p as %p seconds', (value, seconds) => {
    expect(envDurationSeconds().parse(value)).toBe(seconds);
  });

  it.each(['1.5h', '-1', '1w', 'h', 'soon', '1h30m'])('rejects %p, saying what it accepts', (value) => {
    expect(problemOf(envDurationSeconds(), value)).toBe(
      'must be a number of seconds or a duration such as 90s, 15m, 1h or 7d',
    );
  });

  it('rejects a duration under its minimum', () => {
    expect(problemOf(envDurationSeconds(), '0')).toBe('must be at least 1 seconds');
    expect(problemOf(envDurationSeconds({ min: 60 }), '59s')).toBe('must be at least 60 seconds');
  });

  it('is required unless optional, and then unset or blank reads as undefined', () => {
    expect(problemOf(envDurationSeconds(), undefined)).toBe('is required');
    expect(envDurationSeconds({ optional: true }).parse(undefined)).toBeUndefined();
    expect(envDurationSeconds({ optional: true }).parse(' ')).toBeUndefined();
    expect(envDurationSeconds({ optional: true }).parse('1d')).toBe(86_400);
  });
});

describe('envOptionalString', () => {
  it('is undefined when unset or blank', () => {
    expect(envOptionalString().parse(undefined)).toBeUndefined();
    expect(envOptionalString().parse(' ')).toBeUndefined();
    expect(envOptionalString().parse(' v ')).toBe('v');
  });
});

describe('envInt', () => {
  it('parses an integer from a string', () => {
    expect(envInt().parse('42')).toBe(42);
    expect(envInt().parse(' -3 ')).toBe(-3);
  });

  it('says "is required" when unset and has no default', () => {
    expect(problemOf(envInt(), undefined)).toBe('is required');
    expect(problemOf(envInt({ min: 1 }), '')).toBe('is required');
  });

  it('uses its default when unset', () => {
    expect(envInt({ default: 7 }).parse(undefined)).toBe(7);
    expect(envInt({ default: 7 }).parse('')).toBe(7);
  });

  it.each([
    [{}, 'abc', 'must be an integer'],
    [{}, '1.5', 'must be an integer'],
    [{ min: 1 }, '0', 'must be an integer of at least 1'],
    [{ min: 1, max: 5 }, '6', 'must be an integer from 1 to 5'],
    [{ max: 5 }, '6', 'must be an integer'],
  ])('with bounds %p rejects %p: %s', (options, value, message) => {
    expect(problemOf(envInt(options), value)).toBe(message);
  });
});

describe('envOptionalInt', () => {
  it('gives undefined when unset or blank, and the integer otherwise', () => {
    expect(envOptionalInt().parse(undefined)).toBeUndefined();
    expect(envOptionalInt().parse('  ')).toBeUndefined();
    expect(envOptionalInt({ min: 1 }).parse('6379')).toBe(6379);
  });

  it('rejects a value out of its bounds like envInt', () => {
    expect(problemOf(envOptionalInt({ min: 1, max: 65_535 }), '70000')).toBe('must be an integer from 1 to 65535');
  });
});

describe('envPort', () => {
  it('accepts 1 to 65535 and uses the default when unset', () => {
    expect(envPort().parse('1')).toBe(1);
    expect(envPort().parse('65535')).toBe(65535);
    expect(envPort(3000).parse(undefined)).toBe(3000);
  });

  it.each(['0', '65536', 'http', '80.5'])('rejects %p', (value) => {
    expect(problemOf(envPort(), value)).toBe('must be an integer from 1 to 65535');
  });

  it('is required without a default', () => {
    expect(problemOf(envPort(), undefined)).toBe('is required');
  });
});

describe('envEnum', () => {
  it('accepts one of its values, lists them otherwise, and falls back to its default', () => {
    const schema = envEnum(['stan', 'jetstream'], 'stan');

    expect(schema.parse('jetstream')).toBe('jetstream');
    expect(schema.parse(undefined)).toBe('stan');
    expect(schema.parse('')).toBe('stan');
    expect(problemOf(schema, 'kafka')).toBe('must be one of: stan, jetstream');
  });

  it('is required without a default', () => {
    expect(envEnum(['a']).safeParse(undefined).success).toBe(false);
  });
});

describe('envLogLevel', () => {
  it('is info by default and accepts pino levels', () => {
    expect(envLogLevel().parse(undefined)).toBe('info');
    expect(envLogLevel().parse('silent')).toBe('silent');
    expect(envLogLevel().safeParse('verbose').success).toBe(false);
  });
});

describe('envUrl', () => {
  const nats = envUrl(['nats:', 'tls:']);

  it('accepts a URL with an allowed scheme', () => {
    expect(nats.parse('nats://nats-srv:4222')).toBe('nats://nats-srv:4222');
    expect(nats.parse(' tls://nats:4222 ')).toBe('tls://nats:4222');
  });

  it.each(['http://nats-srv:4222', 'nats-srv:4222', 'not a url'])('rejects %p, listing the schemes', (value) => {
    expect(problemOf(nats, value)).toBe('must be a URL starting with nats:// or tls://');
  });

  it('is required', () => {
    expect(problemOf(nats, undefined)).toBe('is required');
    expect(problemOf(nats, '')).toBe('is required');
  });
});
