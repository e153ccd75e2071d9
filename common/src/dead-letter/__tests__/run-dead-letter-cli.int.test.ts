import { DEAD_LETTER_CLI_USAGE, runDeadLetterCli } from '../run-dead-letter-cli';

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runDeadLetterCli(args, { env, out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('the dead-letters command', () => {
  it.each([
    [[]],
    [['nope']],
    [['list', '3']],
    [['replay']],
    [['replay', 'x']],
    [['replay', '0']],
    [['list', '--limit', '0']],
  ])('prints the usage and exits 2 for %j', async (args) => {
    const { code, err } = await run(args);

    expect(code).toBe(2);
    expect(err.join('\n')).toContain(DEAD_LETTER_CLI_USAGE);
  });

  it('names an unknown option', async () => {
    const { code, err } = await run(['list', '--all']);

    expect(code).toBe(2);
    expect(err[0]).toMatch(/Unknown option '--all'/);
  });

  it('prints the usage and exits 0 for --help', async () => {
    const { code, out } = await run(['--help']);

    expect(code).toBe(0);
    expect(out).toEqual([DEAD_LETTER_CLI_USAGE]);
  });

  it('exits 1 naming every bad variable, before connecting', async () => {
    const { code, err } = await run(['list'], { NATS_URL: 'ftp://x' });

    expect(code).toBe(1);
    expect(err).toEqual([
      [
        'invalid environment:',
        '  - NATS_URL: must be a URL starting with nats:// or tls:// or http://',
        '  - NATS_CLUSTER_ID: is required when EVENT_BUS is stan',
        '  - NATS_CLIENT_ID: is required when EVENT_BUS is stan',
      ].join('\n'),
    ]);
  });

  it('exits 1 with the reason when the bus cannot be reached', async () => {
    const { code, err } = await run(['list'], { EVENT_BUS: 'jetstream', NATS_URL: 'nats://127.0.0.1:1' });

    expect(code).toBe(1);
    expect(err.at(-1)).toMatch(/^dead-letters list: /);
  });

  it('exits 1 without creating anything when the JetStream stream does not exist', async () => {
    const env = { EVENT_BUS: 'jetstream', NATS_URL: process.env.NATS_URL ?? 'nats://127.0.0.1:4222' };

    const { code, err } = await run(['list'], { ...env, NATS_STREAM: 'no-such-stream-for-dead-letters' });

    expect(code).toBe(1);
    expect(err).toEqual([
      'dead-letters list: JetStream stream no-such-stream-for-dead-letters does not exist (is NATS_STREAM right?)',
    ]);
  });
});
