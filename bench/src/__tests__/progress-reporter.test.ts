import { PassThrough } from 'node:stream';
import { TerminalReporter } from '../progress-reporter';

/** A stream that is not a terminal, and what was written to it, line by line. */
function plainOutput(): { stream: PassThrough; lines: () => string[] } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, lines: () => text.split('\n').filter(Boolean) };
}

describe('TerminalReporter on a stream that is not a terminal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('prints only the last line of a target that ends before the interval', async () => {
    const out = plainOutput();
    const reporter = new TerminalReporter(out.stream, 5_000);

    const progress = reporter.target('service');
    progress.phase('storing', 100, () => 40);
    jest.advanceTimersByTime(4_000);
    progress.done('events/s stored 1,234');
    await jest.runOnlyPendingTimersAsync();

    expect(out.lines()).toEqual([expect.stringMatching(/^ {2}service +done in 4\.0 s: events\/s stored 1,234$/)]);
  });

  it('prints the phase, its count and the elapsed time at each interval, then the last line', async () => {
    const out = plainOutput();
    const reporter = new TerminalReporter(out.stream, 5_000);
    let fired = 0;

    const progress = reporter.target('raw-publish');
    progress.phase('firing', 10_000, () => fired);
    fired = 2_500;
    jest.advanceTimersByTime(5_000);
    progress.phase('waiting for expiresAt');
    jest.advanceTimersByTime(5_000);
    progress.failed('the worker exited');
    jest.advanceTimersByTime(20_000);
    await jest.runOnlyPendingTimersAsync();

    expect(out.lines()).toEqual([
      '  raw-publish  firing 2,500/10,000 5.0 s',
      '  raw-publish  waiting for expiresAt 10.0 s',
      '  raw-publish  FAILED after 10.0 s: the worker exited',
    ]);
  });

  it('prints notes as they are, and no escape sequences', async () => {
    const out = plainOutput();
    const reporter = new TerminalReporter(out.stream, 5_000);

    reporter.note('burst: orders with the same expiresAt');
    reporter.target('naive').done('ms to the last 804');
    await jest.runOnlyPendingTimersAsync();

    expect(out.lines()).toEqual([
      'burst: orders with the same expiresAt',
      '  naive        done in 0.0 s: ms to the last 804',
    ]);
    expect(out.lines().join('')).not.toContain('\u001b');
  });
});

describe('TerminalReporter on a terminal', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('redraws one line with a bar, the count and the time, and leaves the last text on it', async () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const reporter = new TerminalReporter(stream);

    const progress = reporter.target('service');
    progress.phase('firing', 10, () => 5);
    jest.advanceTimersByTime(1_000);
    const drawn = text;
    progress.done('ms to the last 385');
    await jest.runOnlyPendingTimersAsync();

    expect(drawn).toContain(`service      ${'█'.repeat(12)}${'░'.repeat(12)} firing 5/10 1.0 s`);
    expect(text.slice(drawn.length)).toContain('service      done in 1.0 s: ms to the last 385');
    expect(text.endsWith('\n')).toBe(true);
  });
});
