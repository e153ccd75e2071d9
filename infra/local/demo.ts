/**
 * `npm run demo`: plays the story of an order that expires, live. It uses the
 * system `npm run dev` runs if both services answer on their ports; otherwise
 * it starts its own with a short window and names of its own, and removes them
 * afterwards. Exits 0 when every step happened. See README.md next to this file.
 */
import { createWriteStream, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { JetStreamBus, createLogger } from '@grider-ms-tickets/common';
import { freePort } from '@grider-ms-tickets/common/testing';
import { isolatedNames, removeIsolated } from './lib/isolation';
import { checkServers, inspectPort, readyz } from './lib/preflight';
import { TerminalReporter } from './lib/reporter';
import { launchSystem, type RunningSystem } from './lib/services';
import { settingsOrExit } from './lib/settings';
import { chooseStoreLoudly } from './lib/store';
import { runStory } from './lib/story';
import { fail, note, ok, onInterrupt, paint, say, warn } from './lib/terminal';

const settings = settingsOrExit('demo');
const abort = new AbortController();
const reporter = new TerminalReporter();
/** What to undo at the end, however it ends: the last thing opened first. */
const undo: { what: string; run: () => unknown }[] = [];
const opened = (what: string, run: () => unknown) => undo.unshift({ what, run });
let cleaning: Promise<void> | undefined;
const cleanup = () =>
  (cleaning ??= (async () => {
    reporter.close();
    for (const { what, run } of undo) {
      await Promise.resolve()
        .then(run)
        .catch((err: Error) => warn(`clean-up: ${what} failed: ${err.message}`));
    }
  })());
/** The demo's own system, once started. */
let own: { system: RunningSystem; logFile: string } | undefined;

async function main(): Promise<number> {
  say(paint('bold', 'ticketing · npm run demo: an order expires while you watch'));
  onInterrupt(
    () => {
      abort.abort(new Error('interrupted'));
      reporter.close();
      note('… interrupted: cleaning up (Ctrl-C again to quit at once)');
      void cleanup().then(() => process.exit(130));
    },
    () => process.exit(130),
  );

  const ordersUrl = `http://127.0.0.1:${settings.ordersPort}`;
  const expirationUrl = `http://127.0.0.1:${settings.healthPort}`;
  const running = (await Promise.all([readyz(ordersUrl), readyz(expirationUrl)])).every((answer) => answer?.ready);
  let target: { ordersUrl: string; nats: { stream: string; subjectPrefix?: string }; queuePrefix: string } = {
    ordersUrl,
    nats: settings.nats,
    queuePrefix: settings.queuePrefix,
  };
  if (running) {
    ok(`using the system already running: orders ${ordersUrl}, expiration ${expirationUrl}`);
    note(`  stream ${settings.nats.stream}, Bull prefix ${settings.queuePrefix}, JWT_KEY as this shell has it`);
  } else {
    const started = await startOwnSystem();
    if (!started) return abort.signal.aborted ? 130 : 1;
    target = started;
  }
  if (abort.signal.aborted) return 130;

  const logger = createLogger({ name: 'demo', level: 'silent' });
  const bus = await JetStreamBus.connect({ ...target.nats, url: settings.nats.url, name: 'local-demo', logger });
  opened('closing NATS', () => bus.close());
  say();
  const { jwtKey, redis } = settings;
  const story = { ...target, bus, jwtKey, redis, reporter, signal: abort.signal };
  const result = await runStory(story).catch((err: Error) => fail(`the story could not run: ${err.message}`));
  if (!result) return 1;
  reporter.verdict(result);
  if (abort.signal.aborted) return 130;
  if (!result.ok) printTail();
  return result.ok ? 0 : 1;
}

/**
 * Checks Redis and NATS, and starts a system of the demo's own: its own
 * stream, subject prefix and Bull prefix, all removed at the end.
 */
async function startOwnSystem() {
  note('… no running system answers on those ports: starting one for the demo');
  if (!(await checkServers(settings))) return undefined;
  const ordersPort = await pickPort('orders', settings.ordersPort, 'PORT');
  const healthPort = await pickPort('expiration', settings.healthPort, 'HEALTH_PORT');
  const store = await chooseStoreLoudly(settings);
  opened('stopping MongoDB', () => store.stop());
  const logFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'ticketing-demo-')), 'services.log');
  const output = createWriteStream(logFile);
  opened('closing the log', () => new Promise((resolve) => output.end(resolve)));
  const names = isolatedNames('demo');
  const nats = { url: settings.nats.url, stream: names.stream, subjectPrefix: names.subjectPrefix };
  const { stream, subjectPrefix, queuePrefix } = names;
  ok(
    `orders expire after ${settings.demoWindowSeconds} s (DEMO_WINDOW_SECONDS); stream ${stream}, ` +
      `subject prefix ${subjectPrefix}, Bull prefix ${queuePrefix}: all removed at the end`,
  );
  ok(`service logs: ${logFile}`);
  note('… starting expiration and orders from source (tsx compiles on the fly)');

  const startedAt = Date.now();
  const expirationWindowSeconds = settings.demoWindowSeconds;
  const options = { ...settings, nats, queuePrefix, ordersPort, healthPort, expirationWindowSeconds, store };
  const system = launchSystem({ ...options, watch: false, output, color: false });
  own = { system, logFile };
  opened('removing the demo stream and keys', async () => {
    const left = await removeIsolated(settings.nats.url, settings.redis, names);
    if (left.length > 0) warn(`could not remove ${left.join(' and ')}`);
  });
  // The services go first: they hold consumers on the stream and jobs in Redis.
  opened('stopping the services', () => system.stop());
  void system.crashed.then((service) => abort.abort(new Error(`${service} stopped`)));
  try {
    await system.ready;
  } catch (err) {
    if (abort.signal.aborted) return undefined;
    fail(paint('bold', (err as Error).message));
    printTail();
    return undefined;
  }
  ok(`expiration and orders are ready (${((Date.now() - startedAt) / 1000).toFixed(1)} s)`);
  return { ordersUrl: system.ordersUrl, nats, queuePrefix };
}

/** The configured port if it is free; otherwise a free one, and says why. */
async function pickPort(service: string, port: number, variable: string): Promise<number> {
  const state = await inspectPort(port);
  if (state.state === 'free') return port;
  const other = await freePort();
  const who =
    state.state === 'ours' ? `a ticketing service that is ${state.ready ? '' : 'not '}ready` : 'another program';
  warn(`port ${port} (${variable}) is taken by ${who}; the demo's ${service} listens on ${other} instead.`);
  return other;
}

/** After a failure, the services' last lines, and where the rest is. */
function printTail(): void {
  if (!own) return;
  note('  last lines of the services:');
  for (const line of own.system.lastLines(30)) say(`    ${line}`);
  note(`  full log: ${own.logFile}`);
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
