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
import { freePort } from '@grider-ms-tickets/common/testing';
import { isolatedNames, removeIsolated, type IsolatedNames } from './lib/isolation';
import { checkServers, holder, inspectPort, readyz } from './lib/preflight';
import { TerminalReporter } from './lib/reporter';
import { launchSystem, type RunningSystem } from './lib/services';
import { settingsOrExit } from './lib/settings';
import { chooseStoreLoudly, type OrdersStore } from './lib/store';
import { runStory, type StoryResult } from './lib/story';
import { fail, note, ok, onInterrupt, paint, say, warn } from './lib/terminal';

const abort = new AbortController();
const settings = settingsOrExit('demo');

/** What the demo opened, to close in order at the end, however it ends. */
const opened: {
  reporter?: TerminalReporter;
  system?: RunningSystem;
  store?: OrdersStore;
  bus?: JetStreamBus;
  /** Set when the demo started its own system: its stream and keys go too. */
  names?: IsolatedNames;
  log?: { file: string; stream: WriteStream };
} = {};

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  const attempt = async (what: string, run: () => unknown) => {
    try {
      await run();
    } catch (err) {
      warn(`clean-up: ${what} failed: ${(err as Error).message}`);
    }
  };
  cleaning ??= (async () => {
    const { reporter, system, bus, names, store, log } = opened;
    reporter?.close();
    // The services first: they hold consumers on the stream and jobs in Redis.
    await attempt('stopping the services', () => system?.stop());
    if (bus && names) {
      await attempt('removing the demo stream and keys', async () => {
        const left = await removeIsolated(bus, settings.redis, names);
        if (left.length > 0) warn(`could not remove ${left.join(' and ')}`);
      });
    }
    await attempt('closing NATS', () => bus?.close());
    await attempt('stopping MongoDB', () => store?.stop());
    await new Promise((resolve) => (log ? log.stream.end(resolve) : resolve(undefined)));
  })();
  return cleaning;
}

async function main(): Promise<number> {
  say(paint('bold', 'ticketing · npm run demo: an order expires while you watch'));
  onInterrupt(
    () => {
      abort.abort(new Error('interrupted'));
      opened.reporter?.close();
      note('… interrupted: cleaning up (Ctrl-C again to quit at once)');
      void cleanup().then(() => process.exit(130));
    },
    () => process.exit(130),
  );

  const target = await findOrStartSystem();
  if (!target) return 1;
  if (abort.signal.aborted) return 130;
  const bus = await JetStreamBus.connect({
    url: settings.nats.url,
    ...target.nats,
    name: 'local-demo',
    logger: createLogger({ name: 'demo', level: 'silent' }),
  });
  opened.bus = bus;
  const reporter = (opened.reporter = new TerminalReporter());
  void opened.system?.crashed.then((service) => abort.abort(new Error(`${service} stopped`)));

  say();
  let result: StoryResult;
  try {
    const { ordersUrl, queuePrefix } = target;
    const { jwtKey, redis } = settings;
    result = await runStory({ ordersUrl, bus, jwtKey, redis, queuePrefix, reporter, signal: abort.signal });
  } catch (err) {
    reporter.close();
    fail(`the story could not run: ${(err as Error).message}`);
    return 1;
  }
  reporter.verdict(result);
  if (abort.signal.aborted) return 130;
  if (!result.ok) printTail();
  return result.ok ? 0 : 1;
}

/**
 * Uses the system on PORT and HEALTH_PORT if both services answer there;
 * otherwise checks Redis and NATS and starts one of its own.
 */
async function findOrStartSystem(): Promise<
  { ordersUrl: string; nats: { stream: string; subjectPrefix?: string }; queuePrefix: string } | undefined
> {
  const ordersUrl = `http://127.0.0.1:${settings.ordersPort}`;
  const expirationUrl = `http://127.0.0.1:${settings.healthPort}`;
  const answers = await Promise.all([readyz(ordersUrl), readyz(expirationUrl)]);
  if (answers.every((a) => a.kind === 'ours' && a.ready)) {
    ok(`using the system already running: orders ${ordersUrl}, expiration ${expirationUrl}`);
    note(`  stream ${settings.nats.stream}, Bull prefix ${settings.queuePrefix}, JWT_KEY as this shell has it`);
    return { ordersUrl, nats: settings.nats, queuePrefix: settings.queuePrefix };
  }

  note('… no running system answers on those ports: starting one for the demo');
  if (!(await checkServers(settings))) return undefined;
  const ordersPort = await pickPort('orders', settings.ordersPort, 'PORT');
  const healthPort = await pickPort('expiration', settings.healthPort, 'HEALTH_PORT');
  const store = (opened.store = await chooseStoreLoudly(settings));
  const names = isolatedNames('demo');
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'ticketing-demo-')), 'services.log');
  const log = (opened.log = { file, stream: createWriteStream(file) });
  ok(
    `orders expire after ${settings.demoWindowSeconds} s (DEMO_WINDOW_SECONDS); stream ${names.stream}, ` +
      `subject prefix ${names.subjectPrefix}, Bull prefix ${names.queuePrefix}: all removed at the end`,
  );
  ok(`service logs: ${file}`);
  note('… starting expiration and orders from source (tsx compiles on the fly)');

  const startedAt = Date.now();
  const nats = { url: settings.nats.url, stream: names.stream, subjectPrefix: names.subjectPrefix };
  const system = launchSystem({
    ...settings,
    nats,
    queuePrefix: names.queuePrefix,
    ordersPort,
    healthPort,
    expirationWindowSeconds: settings.demoWindowSeconds,
    store: store.kind === 'mongo' ? { kind: 'mongo', uri: store.uri } : { kind: 'memory' },
    watch: false,
    output: log.stream,
    color: false,
  });
  Object.assign(opened, { system, names });
  try {
    await system.ready;
  } catch (err) {
    if (abort.signal.aborted) return undefined;
    fail(paint('bold', (err as Error).message));
    printTail();
    return undefined;
  }
  ok(`expiration and orders are ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
  return { ordersUrl: system.ordersUrl, nats, queuePrefix: names.queuePrefix };
}

/** The configured port if it is free; otherwise a free one, and says why. */
async function pickPort(service: string, port: number, variable: string): Promise<number> {
  const state = await inspectPort(port);
  if (state.state === 'free') return port;
  const other = await freePort();
  warn(`port ${port} (${variable}) is taken by ${holder(state)}; the demo's ${service} listens on ${other} instead.`);
  return other;
}

/** After a failure, the services' last lines, and where the rest is. */
function printTail(): void {
  if (!opened.system || !opened.log) return;
  note('  last lines of the services:');
  for (const line of opened.system.lastLines(30)) say(`    ${line}`);
  note(`  full log: ${opened.log.file}`);
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
