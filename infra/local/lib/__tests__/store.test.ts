import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chooseOrdersStore } from '../store';

/** A stand-in for mongo-holder.ts: a node script that records its pid, then behaves as told. */
function fakeHolder(behaviour: string): { command: string; args: string[]; env: NodeJS.ProcessEnv; pid(): number } {
  const pidFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'local-store-test-')), 'pid');
  const script = `require('fs').writeFileSync(${JSON.stringify(pidFile)}, String(process.pid)); ${behaviour}`;
  return {
    command: process.execPath,
    args: ['-e', script],
    env: process.env,
    pid: () => Number(readFileSync(pidFile, 'utf8')),
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('chooseOrdersStore', () => {
  it('when MONGO_URI is set, uses it and starts nothing', async () => {
    const holder = fakeHolder('throw new Error("must not run")');

    const store = await chooseOrdersStore({ mongoUri: 'mongodb://db:27017/orders', timeoutMs: 1_000, holder });

    expect(store).toMatchObject({ kind: 'mongo', uri: 'mongodb://db:27017/orders', source: 'MONGO_URI' });
  });

  it('when ORDERS_STORE=memory, uses the memory store without trying MongoDB', async () => {
    const store = await chooseOrdersStore({ forceMemory: true, timeoutMs: 1_000 });

    expect(store).toMatchObject({ kind: 'memory', reason: 'ORDERS_STORE=memory' });
  });

  it('when the embedded MongoDB starts, uses its URI, and stop() ends the holder', async () => {
    const holder = fakeHolder('console.log("READY mongodb://127.0.0.1:45678/"); setInterval(() => {}, 1000);');

    const store = await chooseOrdersStore({ timeoutMs: 10_000, holder });
    const pid = holder.pid();
    await store.stop();

    expect(store).toMatchObject({ kind: 'mongo', uri: 'mongodb://127.0.0.1:45678/', source: 'embedded' });
    expect(isAlive(pid)).toBe(false);
  });

  it('when the embedded MongoDB fails, falls back to memory and says why', async () => {
    const holder = fakeHolder(
      'console.log("FAILED Download failed: getaddrinfo ENOTFOUND fastdl.mongodb.org"); process.exit(1);',
    );

    const store = await chooseOrdersStore({ timeoutMs: 10_000, holder });

    expect(store).toMatchObject({
      kind: 'memory',
      reason: 'the embedded MongoDB did not start: Download failed: getaddrinfo ENOTFOUND fastdl.mongodb.org',
    });
  });

  it('when the embedded MongoDB does not answer in time, falls back to memory and leaves no process behind', async () => {
    const holder = fakeHolder('setInterval(() => {}, 1000);');

    const store = await chooseOrdersStore({ timeoutMs: 1_500, holder });

    expect(store).toMatchObject({ kind: 'memory', reason: 'the embedded MongoDB did not start: no answer within 2 s' });
    expect(isAlive(holder.pid())).toBe(false);
  });
});
