import { spawn } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { TSX_LOADER } from './paths';
import { forgetGroup, signalGroup, trackGroup } from './process-group';

/** Where orders keeps its orders, and how to release it. */
export type OrdersStore =
  | { kind: 'mongo'; uri: string; source: 'MONGO_URI' | 'embedded'; stop(): Promise<void> }
  | { kind: 'memory'; reason: string; stop(): Promise<void> };

/** Options of {@link chooseOrdersStore}. */
export interface ChooseStoreOptions {
  /** The user's MongoDB; used as is when set. */
  mongoUri?: string;
  /** Skip MongoDB altogether (ORDERS_STORE=memory). */
  forceMemory?: boolean;
  /** How long the embedded MongoDB may take to start. */
  timeoutMs: number;
  /** The holder process; {@link mongoHolderCommand} unless given (tests pass a fake). */
  holder?: { command: string; args: string[]; env?: NodeJS.ProcessEnv };
}

/**
 * The command that runs `mongo-holder.ts`. mongodb-memory-server retries a failed
 * download three times with back-off; once is enough to know here.
 */
export function mongoHolderCommand(): { command: string; args: string[]; env: NodeJS.ProcessEnv } {
  return {
    command: process.execPath,
    args: ['--import', pathToFileURL(TSX_LOADER).href, path.join(__dirname, 'mongo-holder.ts')],
    env: { ...process.env, MONGOMS_MAX_RETRIES: process.env.MONGOMS_MAX_RETRIES ?? '1' },
  };
}

/**
 * Picks orders' store: MONGO_URI if set; otherwise an embedded MongoDB from
 * mongodb-memory-server if it starts within `timeoutMs`; otherwise the memory
 * store, with the reason.
 *
 * @param options - the user's URI, the timeout
 * @returns the store; call `stop()` once orders has stopped
 */
export async function chooseOrdersStore(options: ChooseStoreOptions): Promise<OrdersStore> {
  const none = async () => undefined;
  if (options.mongoUri) return { kind: 'mongo', uri: options.mongoUri, source: 'MONGO_URI', stop: none };
  if (options.forceMemory) return { kind: 'memory', reason: 'ORDERS_STORE=memory', stop: none };
  try {
    const embedded = await startEmbeddedMongo(options.holder ?? mongoHolderCommand(), options.timeoutMs);
    return { kind: 'mongo', source: 'embedded', ...embedded };
  } catch (err) {
    return { kind: 'memory', reason: `the embedded MongoDB did not start: ${(err as Error).message}`, stop: none };
  }
}

/**
 * Starts the holder and waits for its READY line. On FAILED, an early exit or the
 * timeout, the holder's whole process group is killed before this rejects, so
 * nothing is left running.
 */
function startEmbeddedMongo(
  holder: { command: string; args: string[]; env?: NodeJS.ProcessEnv },
  timeoutMs: number,
): Promise<{ uri: string; stop(): Promise<void> }> {
  const child = spawn(holder.command, holder.args, {
    env: holder.env ?? process.env,
    // Its own group: the terminal's Ctrl-C reaches the launcher only, which
    // stops orders before MongoDB. stdin is the lifeline: when the launcher
    // dies, the pipe closes and the holder stops MongoDB.
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  trackGroup(child.pid);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderrTail = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderrTail = (stderrTail + chunk).slice(-2_000);
  });

  const kill = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) {
      forgetGroup(child.pid);
      return;
    }
    signalGroup(child.pid, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
    // Whatever it started (mongod) goes with it.
    signalGroup(child.pid, 'SIGKILL');
    forgetGroup(child.pid);
  };

  return new Promise((resolve, reject) => {
    let stdout = '';
    let settled = false;
    const fail = (message: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      child.stdout.removeAllListeners('data');
      void kill().then(() => {
        child.stdin.destroy();
        reject(new Error(message));
      });
    };
    const timer = setTimeout(() => fail(`no answer within ${Math.round(timeoutMs / 1000)} s`), timeoutMs);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((l) => /^(READY|FAILED) /.test(l));
      if (!line || settled) return;
      if (line.startsWith('FAILED ')) {
        fail(line.slice('FAILED '.length));
        return;
      }
      settled = true;
      clearTimeout(timer);
      resolve({
        uri: line.slice('READY '.length).trim(),
        stop: async () => {
          await kill();
          child.stdin.destroy();
        },
      });
    });
    child.once('error', (err) => fail(err.message));
    child.once('exit', (code, signal) => {
      const last = stderrTail.trim().split('\n').pop() ?? '';
      fail(`the holder exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
    });
  });
}
