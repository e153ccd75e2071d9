import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import path from 'node:path';
import { JetStreamBus, createLogger } from '@grider-ms-tickets/common';
import { TEST_NATS_URL, deleteStream, uniqueStreamName } from '../test/jetstream';
import { waitFor } from '@grider-ms-tickets/common/testing';

// The service as a process, started the way `npm run dev` starts it (tsx, so
// that common is read from its sources), with the memory store and JetStream.
const ORDERS_DIR = path.resolve(__dirname, '../..');

interface Started {
  child: ChildProcess;
  output: () => string;
}

function startService(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/index.ts'], {
    cwd: ORDERS_DIR,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

describe('the orders service process', () => {
  const logger = createLogger({ name: 'orders-e2e', level: 'silent' });
  const stream = uniqueStreamName('e2e');
  let running: Started | undefined;

  afterAll(async () => {
    if (running?.child.exitCode === null) {
      running.child.kill('SIGKILL');
      await once(running.child, 'exit');
    }
    const bus = await JetStreamBus.connect({ url: TEST_NATS_URL, stream, subjectPrefix: `${stream}.`, logger });
    await deleteStream(bus, stream);
    await bus.close();
  });

  it('starts, becomes ready, warns that the memory store is not durable, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    running = startService({
      ORDERS_STORE: 'memory',
      EVENT_BUS: 'jetstream',
      NATS_URL: TEST_NATS_URL,
      NATS_STREAM: stream,
      NATS_SUBJECT_PREFIX: `${stream}.`,
      JWT_KEY: 'e2e-key',
      PORT: String(port),
    });
    const { child, output } = running;

    const ready = await waitFor(
      () =>
        fetch(`http://127.0.0.1:${port}/readyz`).then(
          (r) => r.ok,
          () => false,
        ),
      'the service to be ready',
      { timeoutMs: 60_000 },
    );
    expect(ready).toBe(true);
    expect(output()).toContain('nothing is durable');

    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;

    expect(code).toBe(0);
    expect(output()).toContain('shutdown complete');
  }, 90_000);

  it('exits 1 at start-up naming every missing variable', async () => {
    const { child, output } = startService({ ORDERS_STORE: 'mongo' });

    const [code] = await once(child, 'exit');

    expect(code).toBe(1);
    for (const name of ['JWT_KEY', 'NATS_URL', 'NATS_CLUSTER_ID', 'NATS_CLIENT_ID', 'MONGO_URI']) {
      expect(output()).toContain(name);
    }
  }, 60_000);
});
