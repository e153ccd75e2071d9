import type { LocalSettings } from './settings';
import { note, ok, paint, say, warn } from './terminal';

/** Where orders keeps its orders, and how to release it. */
export type OrdersStore =
  | { kind: 'mongo'; uri: string; source: 'MONGO_URI' | 'embedded'; stop(): Promise<void> }
  | { kind: 'memory'; reason: string; stop(): Promise<void> };

/** An embedded MongoDB: what mongodb-memory-server's MongoMemoryServer.create() gives. */
export interface EmbeddedMongo {
  getUri(): string;
  stop(): Promise<unknown>;
}

export interface ChooseStoreOptions {
  /** The user's MongoDB; used as is when set. */
  mongoUri?: string;
  /** Skip MongoDB altogether (ORDERS_STORE=memory). */
  forceMemory?: boolean;
  /** How long the embedded MongoDB may take to start. */
  timeoutMs: number;
  /** Starts one; mongodb-memory-server unless given (tests pass a fake). */
  create?: () => Promise<EmbeddedMongo>;
}

/**
 * mongodb-memory-server, a devDependency of orders. Its mongod leads a process
 * group of its own, so that the terminal's Ctrl-C reaches the launcher only,
 * which stops orders before MongoDB; and it dies with the launcher however that
 * ends (mongodb-memory-server's own killer process watches both).
 */
async function createEmbeddedMongo(): Promise<EmbeddedMongo> {
  // It retries a failed download three times with back-off; once is enough to know here.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  const mms = await import('mongodb-memory-server').catch(() => {
    throw new Error('mongodb-memory-server is not installed (a devDependency of orders: run npm ci)');
  });
  // It prints its own failure, stack and all, with console.warn; the launcher says it in one line.
  const warn = console.warn;
  console.warn = () => undefined;
  return mms.MongoMemoryServer.create({ spawn: { detached: true } }).finally(() => (console.warn = warn));
}

/**
 * Picks orders' store: MONGO_URI if set; otherwise an embedded MongoDB if it
 * starts within `timeoutMs`; otherwise the memory store, with the reason. One
 * that starts too late is stopped as soon as it is up: nothing is left behind.
 * Call the store's `stop()` once orders has stopped.
 */
export async function chooseOrdersStore(options: ChooseStoreOptions): Promise<OrdersStore> {
  const none = async () => undefined;
  if (options.mongoUri) return { kind: 'mongo', uri: options.mongoUri, source: 'MONGO_URI', stop: none };
  if (options.forceMemory) return { kind: 'memory', reason: 'ORDERS_STORE=memory', stop: none };
  const starting = (options.create ?? createEmbeddedMongo)();
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    const seconds = Math.round(options.timeoutMs / 1000);
    timer = setTimeout(() => reject(new Error(`no answer within ${seconds} s`)), options.timeoutMs);
  });
  try {
    const server = await Promise.race([starting, late]);
    return { kind: 'mongo', source: 'embedded', uri: server.getUri(), stop: async () => void (await server.stop()) };
  } catch (err) {
    starting.then((server) => server.stop()).catch(() => undefined);
    const reason = (err as Error).message.replace(/\s+/g, ' ').trim().slice(0, 300);
    return { kind: 'memory', reason: `the embedded MongoDB did not start: ${reason}`, stop: none };
  } finally {
    clearTimeout(timer);
  }
}

/** {@link chooseOrdersStore} with the settings, saying which store it is, and warning about the memory store. */
export async function chooseStoreLoudly(settings: LocalSettings): Promise<OrdersStore> {
  const { mongoUri, forceMemoryStore: forceMemory, mongoStartTimeoutMs: timeoutMs } = settings;
  if (!mongoUri && !forceMemory) {
    note(`… MONGO_URI is not set: trying an embedded MongoDB (mongodb-memory-server, up to ${timeoutMs / 1000} s)`);
  }
  const store = await chooseOrdersStore({ mongoUri, forceMemory, timeoutMs });
  if (store.kind === 'mongo') {
    const embedded = `embedded MongoDB at ${store.uri} (mongodb-memory-server; gone when this stops)`;
    ok(`orders store: ${store.source === 'MONGO_URI' ? 'MongoDB from MONGO_URI' : embedded}`);
    return store;
  }
  warn(`orders store: MEMORY, because ${store.reason}.`);
  const why = 'Orders and ticket copies live inside the orders process: they are lost whenever it restarts.';
  const fix =
    'For MongoDB: set MONGO_URI (e.g. docker run -d -p 27017:27017 mongo:7, then MONGO_URI=mongodb://127.0.0.1:27017/orders).';
  say(paint('yellow', `  ${why}\n  ${fix}`));
  return store;
}
