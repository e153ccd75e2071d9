/**
 * `npm run demo`: plays the story of an order that expires, live. It uses the
 * system `npm run dev` runs if both services answer on their ports; otherwise
 * it starts its own with a short window and names of its own, and removes them
 * afterwards. Exits 0 when every step happened. See README.md next to this file.
 */
import { createWriteStream, mkdtempSync, type WriteStream } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JetStreamBus, createLogger } from '@grider-ms-tickets/common';
import { isolatedNames, removeIsolated, type IsolatedNames } from './lib/isolation';
import { Launcher } from './lib/launcher';
import { createLogFormatter } from './lib/log-lines';
import type { ServiceName } from './lib/paths';
import { freePort, inspectPort, readyz } from './lib/preflight';
import type { LocalSettings } from './lib/settings';
import type { OrdersStore } from './lib/store';
import { runStory, type StoryResult } from './lib/story';
import { launchSystem, type RunningSystem } from './lib/system';
import { SystemStartError } from './lib/system-start-error';
import { TerminalReporter } from './lib/terminal-reporter';

/** The system the story runs against. */
interface Target {
  ordersUrl: string;
  stream: string;
  subjectPrefix?: string;
  queuePrefix: string;
}

const ui = new Launcher('demo');
const p = ui.paint;
const abort = new AbortController();

/** What the demo opened, to close in order at the end, however it ends. */
const opened: {
  reporter?: TerminalReporter;
  system?: RunningSystem;
  store?: OrdersStore;
  bus?: JetStreamBus;
  /** Set when the demo started its own system: its stream and keys go too. */
  names?: IsolatedNames;
  redis?: LocalSettings['redis'];
  logFiles?: WriteStream[];
} = {};

let cleaning: Promise<void> | undefined;
let logDirectory: string | undefined;
let interrupted = false;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    const attempt = async (what: string, run: () => unknown) => {
      try {
        await run();
      } catch (err) {
        ui.warn(`clean-up: ${what} failed: ${(err as Error).message}`);
      }
    };
    opened.reporter?.close();
    // The services first: they hold consumers on the stream and jobs in Redis.
    await attempt('stopping the services', () => opened.system?.stop());
    const { bus, names, redis } = opened;
    if (bus && names && redis) {
      await attempt('removing the demo stream and keys', async () => {
        const left = await removeIsolated(bus, redis, names);
        if (left.length > 0) ui.warn(`could not remove ${left.join(' and ')}`);
      });
    }
    await attempt('closing NATS', () => bus?.close());
    await attempt('stopping MongoDB', () => opened.store?.stop());
    await Promise.all((opened.logFiles ?? []).map((file) => new Promise((resolve) => file.end(resolve))));
  })();
  return cleaning;
}

async function main(): Promise<number> {
  const settings = ui.loadSettings();
  ui.print(p.bold('ticketing · npm run demo: an order expires while you watch'));

  ui.onInterrupt(
    () => {
      interrupted = true;
      abort.abort(new Error('interrupted'));
      opened.reporter?.close();
      ui.print(p.dim('… interrupted: cleaning up (Ctrl-C again to quit at once)'));
      void cleanup().then(() => process.exit(130));
    },
    () => process.exit(130),
  );

  const target = await findOrStartSystem(settings);
  if (!target) return 1;
  if (abort.signal.aborted) return 130;

  const bus = await JetStreamBus.connect({
    url: settings.nats.url,
    stream: target.stream,
    subjectPrefix: target.subjectPrefix,
    name: 'local-demo',
    logger: createLogger({ name: 'demo', level: 'silent' }),
  });
  opened.bus = bus;
  const reporter = new TerminalReporter();
  opened.reporter = reporter;
  void opened.system?.crashed.then(({ service, exit }) =>
    abort.abort(new Error(`${service} stopped (${exit.signal ?? `exit code ${exit.code}`})`)),
  );

  ui.print();
  let result: StoryResult;
  try {
    result = await runStory({
      ordersUrl: target.ordersUrl,
      bus,
      jwtKey: settings.jwtKey,
      redis: settings.redis,
      queuePrefix: target.queuePrefix,
      reporter,
      signal: abort.signal,
    });
  } catch (err) {
    reporter.close();
    ui.fail(`the story could not run: ${(err as Error).message}`);
    return 1;
  }
  reporter.verdict(result);
  if (interrupted) return 130;
  if (!result.ok && opened.system) printLogTails(opened.system);
  return result.ok ? 0 : 1;
}

/**
 * Uses the system on PORT and HEALTH_PORT if both services answer there;
 * otherwise checks Redis and NATS and starts one of its own.
 */
async function findOrStartSystem(settings: LocalSettings): Promise<Target | undefined> {
  const ordersUrl = `http://127.0.0.1:${settings.ordersPort}`;
  const expirationUrl = `http://127.0.0.1:${settings.healthPort}`;
  const [orders, expiration] = await Promise.all([readyz(ordersUrl, 1_500), readyz(expirationUrl, 1_500)]);
  if (orders.kind === 'ours' && orders.ready && expiration.kind === 'ours' && expiration.ready) {
    ui.ok(`using the system already running: orders ${ordersUrl}, expiration ${expirationUrl}`);
    ui.print(
      p.dim(`  stream ${settings.nats.stream}, Bull prefix ${settings.queuePrefix}, JWT_KEY as this shell has it`),
    );
    return {
      ordersUrl,
      stream: settings.nats.stream,
      subjectPrefix: settings.nats.subjectPrefix,
      queuePrefix: settings.queuePrefix,
    };
  }

  ui.print(p.dim('… no running system answers on those ports: starting one for the demo'));
  if (!(await ui.checkServers(settings))) return undefined;
  const ordersPort = await pickPort('orders', settings.ordersPort, 'PORT');
  const healthPort = await pickPort('expiration', settings.healthPort, 'HEALTH_PORT');
  const store = await ui.chooseStore(settings);
  const names = isolatedNames('demo');
  const logDir = mkdtempSync(path.join(os.tmpdir(), 'ticketing-demo-'));
  const logs: Record<ServiceName, string> = {
    expiration: path.join(logDir, 'expiration.log'),
    orders: path.join(logDir, 'orders.log'),
  };
  const files: Record<ServiceName, WriteStream> = {
    expiration: createWriteStream(logs.expiration),
    orders: createWriteStream(logs.orders),
  };
  opened.logFiles = Object.values(files);
  opened.store = store;
  ui.ok(
    `orders expire after ${settings.demoWindowSeconds} s (DEMO_WINDOW_SECONDS); stream ${names.stream}, ` +
      `subject prefix ${names.subjectPrefix}, Bull prefix ${names.queuePrefix}: all removed at the end`,
  );
  ui.ok(`service logs: ${logDir}/{orders,expiration}.log`);
  ui.print(p.dim('… starting expiration and orders from source (tsx compiles on the fly)'));

  const startedAt = Date.now();
  const system = launchSystem({
    redis: settings.redis,
    nats: { url: settings.nats.url, stream: names.stream, subjectPrefix: names.subjectPrefix },
    queuePrefix: names.queuePrefix,
    jwtKey: settings.jwtKey,
    ordersPort,
    healthPort,
    expirationWindowSeconds: settings.demoWindowSeconds,
    store: store.kind === 'mongo' ? { kind: 'mongo', uri: store.uri } : { kind: 'memory' },
    logLevel: settings.logLevel,
    watch: false,
    onLine: (service, line) => files[service].write(`${line}\n`),
  });
  opened.system = system;
  opened.names = names;
  opened.redis = settings.redis;
  try {
    await system.ready;
  } catch (err) {
    if (abort.signal.aborted) return undefined;
    ui.fail(p.bold(err instanceof SystemStartError ? err.message : String(err)));
    if (err instanceof SystemStartError) printTail(err.service, err.lastLines);
    ui.print(p.dim(`  full logs: ${logDir}`));
    return undefined;
  }
  ui.ok(`expiration and orders are ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
  logDirectory = logDir;
  return {
    ordersUrl: system.ordersUrl,
    stream: names.stream,
    subjectPrefix: names.subjectPrefix,
    queuePrefix: names.queuePrefix,
  };
}

/** The configured port if it is free; otherwise a free one, and says why. */
async function pickPort(service: ServiceName, port: number, variable: string): Promise<number> {
  const state = await inspectPort(port);
  if (state.state === 'free') return port;
  const other = await freePort();
  const who =
    state.state === 'ours' ? `a ticketing service that is ${state.ready ? 'ready' : 'not ready'}` : 'another program';
  ui.warn(`port ${port} (${variable}) is taken by ${who}; the demo's ${service} listens on ${other} instead.`);
  return other;
}

function printTail(service: ServiceName, lines: readonly string[]): void {
  const format = createLogFormatter({ color: p.enabled });
  ui.print(p.dim(`  last lines of ${service}:`));
  for (const line of lines.slice(-15)) for (const text of format(line)) ui.print(`    ${text}`);
}

function printLogTails(system: RunningSystem): void {
  for (const service of system.services) printTail(service.name, service.lastLines(15));
  if (logDirectory) ui.print(p.dim(`  full logs: ${logDirectory}`));
}

void main()
  .catch((err: unknown) => {
    console.error(err);
    return 1;
  })
  .then(async (code) => {
    await cleanup();
    process.exit(code);
  });
