import { RecentFailures } from '../recent-failures';

describe('RecentFailures', () => {
  it('recalls the last reason remembered for a sequence, until it is forgotten', () => {
    const failures = new RecentFailures();

    failures.remember(1, 'first');
    failures.remember(1, 'second');
    const recalled = failures.recall(1);
    failures.forget(1);

    expect(recalled).toBe('second');
    expect(failures.recall(1)).toBeUndefined();
  });

  it('forgets the oldest sequence beyond its capacity', () => {
    const failures = new RecentFailures(2);

    failures.remember(1, 'a');
    failures.remember(2, 'b');
    failures.remember(1, 'a again'); // 1 is now the newest
    failures.remember(3, 'c');

    expect(failures.size).toBe(2);
    expect(failures.recall(2)).toBeUndefined();
    expect(failures.recall(1)).toBe('a again');
  });
});
