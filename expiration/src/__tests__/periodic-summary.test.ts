import { PeriodicSummary, SUMMARY_INTERVAL_MS } from '../periodic-summary';
import { captureLogs } from '@grider-ms-tickets/common/testing';

function newSummary() {
  const { lines, logger } = captureLogs();
  const summary = new PeriodicSummary<{ done: number }>({
    logger,
    empty: () => ({ done: 0 }),
    line: (t) => ({ fields: { done: t.done }, msg: `did ${t.done} things in the last second` }),
  });
  return { lines, summary };
}

describe('PeriodicSummary', () => {
  beforeEach(() => {
    jest.useFakeTimers();
  });

  afterEach(() => {
    jest.useRealTimers();
  });

  it('writes one info line a second for everything counted in it, not one per event', () => {
    const { lines, summary } = newSummary();

    for (let i = 0; i < 5; i++) summary.tally().done++;
    const before = lines.length;
    jest.advanceTimersByTime(SUMMARY_INTERVAL_MS);

    expect(before).toBe(0);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', done: 5, msg: 'did 5 things in the last second' }),
    ]);
  });

  it('writes nothing, and keeps no timer, while nothing happens', () => {
    const { lines, summary } = newSummary();
    summary.tally().done++;
    jest.advanceTimersByTime(SUMMARY_INTERVAL_MS);

    jest.advanceTimersByTime(10 * SUMMARY_INTERVAL_MS);

    expect(lines).toHaveLength(1);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('starts a new interval with the next event, counted from zero', () => {
    const { lines, summary } = newSummary();
    summary.tally().done++;
    jest.advanceTimersByTime(SUMMARY_INTERVAL_MS);

    summary.tally().done += 3;
    jest.advanceTimersByTime(SUMMARY_INTERVAL_MS);

    expect(lines.map((l) => l.done)).toEqual([1, 3]);
  });

  it('flush writes what was counted at once, as shutdown needs, and nothing when there is nothing', () => {
    const { lines, summary } = newSummary();
    summary.tally().done += 2;

    summary.flush();
    summary.flush();

    expect(lines.map((l) => l.done)).toEqual([2]);
    expect(jest.getTimerCount()).toBe(0);
  });
});
