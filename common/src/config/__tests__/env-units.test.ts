import { z } from 'zod';
import { envByteSize, parseByteSize } from '../env-byte-size';
import { envDuration, formatDuration, parseDuration } from '../env-duration';

describe('parseDuration', () => {
  it.each([
    ['7d', 7 * 86_400_000],
    ['168h', 168 * 3_600_000],
    ['90m', 90 * 60_000],
    ['3600s', 3_600_000],
    ['3600', 3_600_000],
    [' 2H ', 2 * 3_600_000],
  ])('reads %s', (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(['', '7 days', '1.5h', '-1h', '10ms', 'h', '99999999999999999999d'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe('formatDuration', () => {
  it('writes the largest whole unit', () => {
    expect([604_800_000, 3_600_000, 5_400_000, 90_000, 1_500].map(formatDuration)).toEqual([
      '7d',
      '1h',
      '90m',
      '90s',
      '1500ms',
    ]);
  });
});

describe('parseByteSize', () => {
  it.each([
    ['1GiB', 2 ** 30],
    ['512MiB', 512 * 2 ** 20],
    ['64kib', 64 * 1024],
    ['2TiB', 2 * 2 ** 40],
    ['1048576', 2 ** 20],
  ])('reads %s', (text, bytes) => {
    expect(parseByteSize(text)).toBe(bytes);
  });

  it.each(['', '1GB', '1.5GiB', 'lots', '-5'])('refuses %j', (text) => {
    expect(parseByteSize(text)).toBeUndefined();
  });
});

describe('envDuration and envByteSize', () => {
  const schema = z.object({
    AGE: envDuration({ default: '7d', min: '1h', minReason: 'why not' }),
    SIZE: envByteSize({ default: '1GiB', min: '1MiB' }),
  });

  it('use their defaults when the variables are unset or blank', () => {
    expect(schema.parse({ SIZE: ' ' })).toEqual({ AGE: 7 * 86_400_000, SIZE: 2 ** 30 });
  });

  it('refuse values under their minimum, with the reason when there is one', () => {
    const issues = schema.safeParse({ AGE: '30m', SIZE: '1KiB' }).error?.issues.map((i) => i.message);

    expect(issues).toEqual(['must be at least 1h (why not)', 'must be at least 1MiB']);
  });

  it('refuse a default that is not a duration or a size, when the schema is built', () => {
    expect(() => envDuration({ default: 'soon' })).toThrow('bad default or min');
    expect(() => envByteSize({ default: '1GiB', min: 'tiny' })).toThrow('bad default or min');
  });
});
