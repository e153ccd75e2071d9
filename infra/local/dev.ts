/**
 * `npm run dev`: expiration and orders from their sources, restarted on every
 * change, in one terminal with prefixed logs, against the local Redis and NATS
 * (JetStream). See README.md next to this file.
 */
import { Launcher, prefixedPrinter } from './lib/launcher';
import { launchSystem, type RunningSystem } from './lib/system';
import { SystemStartError } from './lib/system-start-error';
import type { OrdersStore } from './lib/store';

async function main(): Promise<void> {
  const ui = new Launcher('dev');
  const p = ui.paint;
  const settings = ui.loadSettings();
  ui.print(p.bold('ticketing · npm run dev: expiration and orders from source, restarted on every change'));

  const serversOk = await ui.checkServers(settings);
  const portsOk = await ui.checkPorts([
    { service: 'orders', port: settings.ordersPort, variable: 'PORT' },
    { service: 'expiration', port: settings.healthPort, variable: 'HEALTH_PORT' },
  ]);
  if (!serversOk || !portsOk) process.exit(1);

  // Filled in as they start, so that a Ctrl-C at any moment stops what there is.
  const opened: { store?: OrdersStore; system?: RunningSystem } = {};
  let stopping: Promise<void> | undefined;
  const stop = (code: number): Promise<void> => {
    stopping ??= (async () => {
      ui.print(p.dim('… stopping orders, then expiration'));
      await opened.system?.stop();
      await opened.store?.stop();
      process.exit(code);
    })();
    return stopping;
  };
  ui.onInterrupt(
    () => void stop(0),
    // A second Ctrl-C: don't wait for graceful shutdowns (the exit handler kills what is left).
    () => process.exit(130),
  );

  const store = await ui.chooseStore(settings);
  opened.store = store;
  ui.ok(
    `event bus: JetStream, stream ${settings.nats.stream}${settings.nats.subjectPrefix ? `, subject prefix ${settings.nats.subjectPrefix}` : ''}`,
  );
  ui.ok(`Redis ${settings.redis.host}:${settings.redis.port}, Bull prefix ${settings.queuePrefix}`);
  if (settings.jwtKeyIsDevDefault) {
    ui.warn(`JWT_KEY=${settings.jwtKey}: a dev-only key; set JWT_KEY to sign sessions with another.`);
  }
  ui.ok(`orders expire after ${settings.devWindowSeconds} s (EXPIRATION_WINDOW_SECONDS)`);
  ui.print(p.dim('… starting expiration and orders (tsx compiles on the fly; the first start takes a few seconds)'));

  const startedAt = Date.now();
  const system = launchSystem({
    redis: settings.redis,
    nats: settings.nats,
    queuePrefix: settings.queuePrefix,
    jwtKey: settings.jwtKey,
    ordersPort: settings.ordersPort,
    healthPort: settings.healthPort,
    expirationWindowSeconds: settings.devWindowSeconds,
    store: store.kind === 'mongo' ? { kind: 'mongo', uri: store.uri } : { kind: 'memory' },
    logLevel: settings.logLevel,
    watch: true,
    onLine: prefixedPrinter(process.stdout),
  });
  opened.system = system;
  void system.crashed.then(({ service, exit }) => {
    ui.fail(`${service} stopped (${exit.signal ?? `exit code ${exit.code}`}); stopping the other.`);
    void stop(1);
  });

  const slow = setTimeout(() => {
    ui.warn(
      'Not ready after 45 s. If a service failed to start (see its output above), fix it and save: tsx restarts it. Ctrl-C stops.',
    );
  }, 45_000);
  try {
    await system.ready;
  } catch (err) {
    if (stopping) return;
    ui.fail(p.bold(err instanceof SystemStartError ? err.message : String(err)));
    if (err instanceof SystemStartError) ui.print(p.dim(`  (${err.service}'s output is above)`));
    await stop(1);
    return;
  } finally {
    clearTimeout(slow);
  }
  ui.ok(
    p.bold(`ready in ${((Date.now() - startedAt) / 1000).toFixed(1)} s: `) +
      `orders ${system.ordersUrl}/api/orders · expiration ${system.expirationUrl}/readyz`,
  );
  ui.print(
    p.dim(
      '  Edit a file in expiration/src, orders/src or common/src and that service restarts. Ctrl-C stops both.\n' +
        '  In another terminal, npm run demo plays the story against this system' +
        (settings.devWindowSeconds > 60 ? ' (start this one with EXPIRATION_WINDOW_SECONDS=10 for a quick run).' : '.'),
    ),
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
