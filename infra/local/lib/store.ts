import { once } from 'node:events';
import path from 'node:path';
import readline from 'node:readline';
import { pathToFileURL } from 'node:url';
import { signalGroup, spawnGroup } from './process-group';
import type { LocalSettings } from './settings';
import { note, ok, paint, say, warn } from './terminal';

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
  /** The holder process: mongo-holder.ts unless given (tests pass a fake). */
  holder?: { command: string; args: string[]; env?: NodeJS.ProcessEnv };
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
  const holder = options.holder ?? {
    command: process.execPath,
    args: ['--import', pathToFileURL(require.resolve('tsx')).href, path.join(__dirname, 'mongo-holder.ts')],
    // mongodb-memory-server retries a failed download three times with back-off; once is enough to know here.
    env: { ...process.env, MONGOMS_MAX_RETRIES: process.env.MONGOMS_MAX_RETRIES ?? '1' },
  };
  // stdin is the holder's lifeline: when the launcher dies, the pipe closes and the holder stops MongoDB.
  const child = spawnGroup(holder.command, holder.args, { env: holder.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup(child.pid, 'SIGTERM');
      const timer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    child.stdin?.destroy();
  };
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2_000)));
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    // The holder's protocol: one line on stdout, READY <uri> or FAILED <reason>.
    for await (const line of readline.createInterface({ input: child.stdout!, signal })) {
      if (line.startsWith('READY ')) return { kind: 'mongo', source: 'embedded', uri: line.slice(6).trim(), stop };
      if (line.startsWith('FAILED ')) throw new Error(line.slice(7));
    }
    if (signal.aborted) throw signal.reason;
    const last = stderr.trim().split('\n').pop();
    const [code, exitSignal] = (await exited) as [number | null, string | null];
    throw new Error(`the holder exited (${exitSignal ?? `code ${code}`})${last ? `: ${last}` : ''}`);
  } catch (err) {
    await stop();
    const reason = signal.aborted
      ? `no answer within ${Math.round(options.timeoutMs / 1000)} s`
      : (err as Error).message;
    return { kind: 'memory', reason: `the embedded MongoDB did not start: ${reason}`, stop: none };
  }
}

/**
 * {@link chooseOrdersStore} with the settings, saying which store it is, and
 * warning about the memory store.
 *
 * @param settings - MONGO_URI, ORDERS_STORE, the timeout
 * @returns the store
 */
export async function chooseStoreLoudly(settings: LocalSettings): Promise<OrdersStore> {
  if (!settings.mongoUri && !settings.forceMemoryStore) {
    note(
      `… MONGO_URI is not set: trying an embedded MongoDB (mongodb-memory-server, up to ${settings.mongoStartTimeoutMs / 1000} s)`,
    );
  }
  const store = await chooseOrdersStore({
    mongoUri: settings.mongoUri,
    forceMemory: settings.forceMemoryStore,
    timeoutMs: settings.mongoStartTimeoutMs,
  });
  if (store.kind === 'mongo') {
    ok(
      store.source === 'MONGO_URI'
        ? 'orders store: MongoDB from MONGO_URI'
        : `orders store: embedded MongoDB at ${store.uri} (mongodb-memory-server; gone when this stops)`,
    );
    return store;
  }
  warn(`orders store: MEMORY, because ${store.reason}.`);
  say(
    paint(
      'yellow',
      '  Orders and ticket copies live inside the orders process: they are lost whenever it restarts.\n' +
        '  For MongoDB: set MONGO_URI (e.g. docker run -d -p 27017:27017 mongo:7, then MONGO_URI=mongodb://127.0.0.1:27017/orders).',
    ),
  );
  return store;
}
