import { captureLogs } from '../../testing/capture-logs';
import { waitFor } from '../../testing/wait-for';
import { createShutdown, shutdownOnSignals, type ShutdownStep } from '../shutdown';

function setup(steps: readonly ShutdownStep[], timeoutMs?: number) {
  const { logger, lines } = captureLogs('shutdown-test');
  const exit = jest.fn<void, [number]>();
  const shutdown = createShutdown(steps, { logger, exit, timeoutMs });
  return { shutdown, exit, lines };
}

describe('createShutdown', () => {
  it('runs the steps in order, waiting for each, then exits 0', async () => {
    const order: string[] = [];
    const { shutdown, exit } = setup([
      { name: 'http', run: () => void order.push('http') },
      {
        name: 'queue',
        run: async () => {
          await new Promise((resolve) => setImmediate(resolve));
          order.push('queue');
        },
      },
      { name: 'nats', run: () => void order.push('nats') },
    ]);

    await shutdown('SIGTERM');

    expect(order).toEqual(['http', 'queue', 'nats']);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('when a step fails, logs it and still runs the rest', async () => {
    const ran: string[] = [];
    const { shutdown, exit, lines } = setup([
      {
        name: 'listeners',
        run: async () => {
          throw new Error('already closed');
        },
      },
      {
        name: 'sync',
        run: () => {
          throw new Error('sync failure');
        },
      },
      { name: 'redis', run: () => void ran.push('redis') },
    ]);

    await shutdown('SIGINT');

    expect(ran).toEqual(['redis']);
    expect(exit).toHaveBeenCalledWith(0);
    const failures = lines.filter((l) => l.level === 'error');
    expect(failures.map((l) => l.step)).toEqual(['listeners', 'sync']);
    expect(failures.map((l) => (l.err as { message: string }).message)).toEqual(['already closed', 'sync failure']);
  });

  it('when called twice, runs the steps once and returns the same promise', async () => {
    const run = jest.fn();
    const { shutdown, exit } = setup([{ name: 'only', run }]);

    const first = shutdown('SIGTERM');
    const second = shutdown('SIGINT');
    await Promise.all([first, second]);
    await shutdown('again');

    expect(second).toBe(first);
    expect(run).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledTimes(1);
  });

  it('exits with the code it is given, logging the reason as an error, and the first call decides', async () => {
    const { shutdown, exit, lines } = setup([{ name: 'nats', run: () => undefined }]);

    await Promise.all([shutdown('event bus lost', 1), shutdown('SIGTERM')]);

    expect(exit.mock.calls).toEqual([[1]]);
    expect(lines.find((l) => l.msg === 'shutting down')).toMatchObject({
      level: 'error',
      reason: 'event bus lost',
      exitCode: 1,
    });
  });

  it('logs the reason it was given', async () => {
    const { shutdown, lines } = setup([]);

    await shutdown('SIGTERM');

    expect(lines[0]).toMatchObject({ msg: 'shutting down', reason: 'SIGTERM' });
    expect(lines.at(-1)).toMatchObject({ msg: 'shutdown complete' });
  });

  it('exits 1 when the steps outlast the timeout', async () => {
    let finish = () => {};
    const { shutdown, exit, lines } = setup(
      [{ name: 'stuck', run: () => new Promise<void>((resolve) => (finish = resolve)) }],
      50,
    );

    const running = shutdown('SIGTERM');
    await waitFor(() => exit.mock.calls.length > 0, { what: 'exit', timeoutMs: 5_000 });

    expect(exit).toHaveBeenCalledWith(1);
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ msg: 'shutdown timed out; exiting', timeoutMs: 50 });
    finish();
    await running;
  });

  it('does not exit 1 once the steps are done within the timeout', async () => {
    const { shutdown, exit } = setup([{ name: 'quick', run: () => undefined }], 50);

    await shutdown('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 100));

    expect(exit.mock.calls).toEqual([[0]]);
  });
});

describe('shutdownOnSignals', () => {
  it('runs the shutdown on SIGTERM and SIGINT', () => {
    const before = { term: process.listeners('SIGTERM'), int: process.listeners('SIGINT') };
    const shutdown = jest.fn(async (_reason: string) => undefined);

    shutdownOnSignals(shutdown);
    const added = {
      term: process.listeners('SIGTERM').filter((l) => !before.term.includes(l)),
      int: process.listeners('SIGINT').filter((l) => !before.int.includes(l)),
    };
    try {
      // Call the handlers directly: sending a real signal to the jest worker is not safe.
      added.term.forEach((l) => (l as (signal: string) => void)('SIGTERM'));
      added.int.forEach((l) => (l as (signal: string) => void)('SIGINT'));

      expect(added.term).toHaveLength(1);
      expect(added.int).toHaveLength(1);
      expect(shutdown.mock.calls).toEqual([['SIGTERM'], ['SIGINT']]);
    } finally {
      added.term.forEach((l) => process.off('SIGTERM', l));
      added.int.forEach((l) => process.off('SIGINT', l));
    }
  });
});
