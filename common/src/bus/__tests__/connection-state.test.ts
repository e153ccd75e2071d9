import { ConnectionState } from '../connection-state';

describe('ConnectionState', () => {
  it('counts the time down from the first markDown until markUp', () => {
    let now = 1_000;
    const state = new ConnectionState(() => now);

    state.markDown();
    now = 1_500;
    state.markDown(); // still down since 1000
    now = 3_000;
    const down = state.downForMs();
    state.markUp();

    expect(down).toBe(2_000);
    expect(state.downForMs()).toBe(0);
    expect(state.up).toBe(true);
  });

  it('once lost, stays down and calls each callback once with the first error', async () => {
    let now = 0;
    const state = new ConnectionState(() => now);
    const calls: string[] = [];
    state.onLost((err) => calls.push(`early: ${err.message}`));

    state.markLost(new Error('gone'));
    state.markLost(new Error('gone again'));
    state.markUp();
    state.onLost((err) => calls.push(`late: ${err.message}`));
    now = 5_000;
    await Promise.resolve();

    expect(calls).toEqual(['early: gone', 'late: gone']);
    expect(state.lost).toBe(true);
    expect(state.up).toBe(false);
    expect(state.downForMs()).toBe(5_000);
  });
});
