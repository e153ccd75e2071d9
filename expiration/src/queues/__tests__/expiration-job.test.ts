import { dueAtOf, jobOptionsFor } from '../expiration-job';

describe('jobOptionsFor and dueAtOf, the contract between the scheduler and the processor', () => {
  const now = Date.parse('2030-01-01T12:00:00Z');

  it('delays a job until expiresAt, and the processor reads expiresAt back as the due time', () => {
    const expiresAt = new Date(now + 15 * 60_000);

    const opts = jobOptionsFor('o1', expiresAt, now);

    expect(opts).toEqual({ jobId: 'order:o1', delay: 15 * 60_000, timestamp: now });
    expect(dueAtOf({ timestamp: opts.timestamp, opts })).toBe(expiresAt.getTime());
  });

  it('when expiresAt has passed, gives a zero delay and moves the timestamp back, so the due time is still expiresAt', () => {
    const expiresAt = new Date(now - 30_000);

    const opts = jobOptionsFor('o1', expiresAt, now);

    expect(opts.delay).toBe(0);
    expect(opts.timestamp).toBe(expiresAt.getTime());
    expect(dueAtOf({ timestamp: opts.timestamp, opts })).toBe(expiresAt.getTime());
  });

  it('reads a job without a delay as due at its timestamp', () => {
    expect(dueAtOf({ timestamp: now, opts: {} })).toBe(now);
  });
});
