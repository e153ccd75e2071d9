import { ConfigError } from '@grider-ms-tickets/common';
import { paintFor, type Paint } from './ansi';
import { createLogFormatter } from './log-lines';
import type { ServiceName } from './paths';
import { checkNats, checkRedis, describeProblem, inspectPort } from './preflight';
import { loadLocalSettings, type LocalSettings } from './settings';
import { killLiveGroups } from './process-group';
import { chooseOrdersStore, type OrdersStore } from './store';

/** What `npm run dev` and `npm run demo` share: how they print, check and pick. */
export class Launcher {
  readonly paint: Paint;

  constructor(
    /** `dev` or `demo`, to name the command in messages. */
    readonly command: string,
    readonly out: NodeJS.WriteStream = process.stdout,
  ) {
    this.paint = paintFor(out);
  }

  /**
   * Handles Ctrl-C (and SIGTERM, SIGHUP). The first calls `first`, which should
   * stop things in order; another, a second or more later, calls `again`. A
   * repeat within that second is the same interrupt: the terminal signals the
   * whole foreground group, and tsx passes the signal on to its child as well
   * when it misses the child's own report of it. However the process ends,
   * every service still running is killed on the way out.
   *
   * @param first - the graceful stop
   * @param again - the impatient one; it should exit at once
   */
  onInterrupt(first: () => void, again: () => void): void {
    process.on('exit', killLiveGroups);
    let firstAt: number | undefined;
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.on(signal, () => {
        const now = Date.now();
        if (firstAt === undefined) {
          firstAt = now;
          first();
        } else if (now - firstAt > 1_000) {
          again();
        }
      });
    }
  }

  print(text = ''): void {
    this.out.write(`${text}\n`);
  }

  ok(text: string): void {
    this.print(`${this.paint.green('✔')} ${text}`);
  }

  warn(text: string): void {
    this.print(`${this.paint.yellow('⚠')} ${this.paint.yellow(text)}`);
  }

  fail(text: string): void {
    this.print(`${this.paint.red('✖')} ${text}`);
  }

  /**
   * Reads the environment, or names every bad variable and exits 1.
   *
   * @returns the settings
   */
  loadSettings(): LocalSettings {
    try {
      return loadLocalSettings();
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.fail(`npm run ${this.command}: ${err.message}`);
      process.exit(1);
    }
  }

  /**
   * Checks that Redis and NATS (with JetStream) answer. Prints each; for one
   * that doesn't, says how to start it.
   *
   * @param settings - where they should be
   * @returns whether both answer
   */
  async checkServers(settings: LocalSettings): Promise<boolean> {
    const [redis, nats] = await Promise.all([checkRedis(settings.redis), checkNats(settings.nats)]);
    let ok = true;
    for (const result of [redis, nats]) {
      if (result.ok) {
        this.ok(result.detail);
      } else {
        ok = false;
        const [problem, ...fix] = describeProblem(result);
        this.fail(this.paint.bold(problem));
        for (const line of fix) this.print(line);
      }
    }
    return ok;
  }

  /**
   * Checks that the services' ports are free.
   *
   * @param ports - each service's port and the variable that sets it
   * @returns whether all are free; says who holds the others
   */
  async checkPorts(ports: { service: ServiceName; port: number; variable: string }[]): Promise<boolean> {
    let ok = true;
    for (const { service, port, variable } of ports) {
      const state = await inspectPort(port);
      if (state.state === 'free') continue;
      ok = false;
      if (state.state === 'ours') {
        this.fail(
          `Port ${port} (${service}): a ticketing service already answers there, ${state.ready ? 'ready' : 'not ready'} ` +
            `(another npm run dev?). Stop it, or set ${variable} to another port.`,
        );
      } else {
        this.fail(
          `Port ${port} (${service}) is in use by another program. Free it, or set ${variable} to another port.`,
        );
      }
    }
    return ok;
  }

  /**
   * Picks orders' store, and says which, with a warning for the memory store.
   *
   * @param settings - MONGO_URI, ORDERS_STORE, the timeout
   * @returns the store
   */
  async chooseStore(settings: LocalSettings): Promise<OrdersStore> {
    if (!settings.mongoUri && !settings.forceMemoryStore) {
      this.print(
        this.paint.dim(
          `… MONGO_URI is not set: trying an embedded MongoDB (mongodb-memory-server, up to ${settings.mongoStartTimeoutMs / 1000} s)`,
        ),
      );
    }
    const store = await chooseOrdersStore({
      mongoUri: settings.mongoUri,
      forceMemory: settings.forceMemoryStore,
      timeoutMs: settings.mongoStartTimeoutMs,
    });
    if (store.kind === 'mongo') {
      this.ok(
        store.source === 'MONGO_URI'
          ? `orders store: MongoDB from MONGO_URI`
          : `orders store: embedded MongoDB at ${store.uri} (mongodb-memory-server; gone when this stops)`,
      );
    } else {
      this.warn(`orders store: MEMORY, because ${store.reason}.`);
      this.print(
        this.paint.yellow(
          '  Orders and ticket copies live inside the orders process: they are lost whenever it restarts.\n' +
            '  For MongoDB: set MONGO_URI (e.g. docker run -d -p 27017:27017 mongo:7, then MONGO_URI=mongodb://127.0.0.1:27017/orders).',
        ),
      );
    }
    return store;
  }
}

/**
 * Prints services' output, each line after a coloured `[service]` prefix, pino
 * JSON made readable with pino-pretty.
 *
 * @param out - the terminal
 * @returns the line handler for the system
 */
export function prefixedPrinter(out: NodeJS.WriteStream): (service: ServiceName, line: string) => void {
  const paint = paintFor(out);
  const format = createLogFormatter({ color: paint.enabled });
  const width = Math.max('expiration'.length, 'orders'.length) + 2;
  const color: Record<ServiceName, (text: string) => string> = { expiration: paint.magenta, orders: paint.cyan };
  return (service, line) => {
    const prefix = color[service](`[${service}]`.padEnd(width));
    for (const text of format(line)) out.write(`${prefix} ${text}\n`);
  };
}
